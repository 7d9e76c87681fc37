// The labels that select a workload's pods, read from the Kubernetes API when the agent
// has one: a Service's spec.selector (a `svc:ns/name` peer), a workload's pod selector
// (`ns/Deployment/name` and friends: spec.selector.matchLabels, a CronJob's job
// template's pod labels). The NetworkPolicy export uses them for podSelector; without
// them it falls back to namespace-wide peers and says so. Looked up on demand (an export
// is rare), with the agent's own credentials: get on services and on the workload kinds.
import type { KubeConfig } from '@kubernetes/client-node';

export interface PodSelectors {
  /** labels of the pods a Service selects */
  service(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** labels of a workload's pods (matchLabels of its selector) */
  workload(namespace: string, kind: string, name: string): Promise<Record<string, string> | undefined>;
}

type Obj = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);
const labels = (v: unknown): Record<string, string> | undefined =>
  v && typeof v === 'object' && Object.keys(v).length > 0 && Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;

export async function kubeSelectors(kc: KubeConfig): Promise<PodSelectors> {
  const { AppsV1Api, BatchV1Api, CoreV1Api } = await import('@kubernetes/client-node');
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const read: Record<string, (q: { namespace: string; name: string }) => Promise<unknown>> = {
    Deployment: (q) => apps.readNamespacedDeployment(q),
    StatefulSet: (q) => apps.readNamespacedStatefulSet(q),
    DaemonSet: (q) => apps.readNamespacedDaemonSet(q),
    ReplicaSet: (q) => apps.readNamespacedReplicaSet(q),
    Job: (q) => batch.readNamespacedJob(q),
    CronJob: (q) => batch.readNamespacedCronJob(q),
    Pod: (q) => core.readNamespacedPod(q),
  };
  const safe = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch {
      return undefined; // not found, not allowed, API down: the export says it fell back
    }
  };
  return {
    service: (namespace, name) => safe(async () => labels(at(await core.readNamespacedService({ namespace, name }), 'spec', 'selector'))),
    workload: (namespace, kind, name) =>
      safe(async () => {
        const r = read[kind];
        if (!r) return undefined;
        const o = await r({ namespace, name });
        if (kind === 'Pod') return labels(at(o, 'metadata', 'labels'));
        if (kind === 'CronJob') return labels(at(o, 'spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'));
        return labels(at(o, 'spec', 'selector', 'matchLabels')) ?? labels(at(o, 'spec', 'template', 'metadata', 'labels'));
      }),
  };
}
