// The kubectl plugin's way to an agent: the kubeconfig (--kubeconfig, $KUBECONFIG,
// ~/.kube/config; --context) names the cluster and the user; the agent is the
// habitwatch DaemonSet pod on --node (or --pod, or the first ready one), reached through
// the API server's pod proxy:
//
//   {server}/api/v1/namespaces/{ns}/pods/{[https:]pod:port}/proxy/v1/…
//
// The API server authenticates the user (kubeconfig credentials; it needs `get
// pods/proxy` in the agent's namespace) and strips the Authorization header before
// proxying, so the user's bearer token also travels as X-Habitwatch-Authorization, where
// the agent checks it with TokenReview and SubjectAccessReview like any other token.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { httpClient, type Client } from './client.ts';
import { UnreachableError, UsageError } from './errors.ts';

export const kubeOptionSpec = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'agent-namespace': { type: 'string' },
  node: { type: 'string' },
  pod: { type: 'string' },
} as const;

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  'agent-namespace'?: string;
  node?: string;
  pod?: string;
}

export const AGENT_NAMESPACE = 'habitwatch';
export const AGENT_SELECTOR = 'app.kubernetes.io/name=habitwatch';
const DEFAULT_PORT = 7420;

async function loadConfig(o: KubeOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig !== undefined) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
    if (o.context !== undefined) {
      if (!kc.getContexts().some((c) => c.name === o.context)) throw new Error(`no context ${o.context} in the kubeconfig`);
      kc.setCurrentContext(o.context);
    }
  } catch (e) {
    throw new UsageError(`kubeconfig: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!kc.getCurrentCluster()) throw new UsageError('kubeconfig: no current cluster (--kubeconfig FILE, --context NAME)');
  return kc;
}

const ready = (p: V1Pod): boolean => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** the agent pod to talk to: --pod, else the ready agent on --node, else the first ready one */
export function choosePod(pods: V1Pod[], o: KubeOptions): V1Pod {
  const ns = o['agent-namespace'] ?? AGENT_NAMESPACE;
  if (o.pod !== undefined) {
    const p = pods.find((x) => x.metadata?.name === o.pod);
    if (!p) throw new UsageError(`no habitwatch agent pod ${o.pod} in namespace ${ns}`);
    return p;
  }
  const onNode = o.node !== undefined ? pods.filter((p) => p.spec?.nodeName === o.node) : pods;
  const p = onNode.filter(ready).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))[0];
  if (!p) throw new UnreachableError(`no ready habitwatch agent pod${o.node ? ` on node ${o.node}` : ''} in namespace ${ns} (selector ${AGENT_SELECTOR})`);
  return p;
}

/** "[https:]name:port" for the pod proxy: the container port named http/https, else 7420 */
export function proxyTarget(p: V1Pod): string {
  const ports = (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  const https = ports.find((x) => x.name === 'https');
  const http = ports.find((x) => x.name === 'http');
  return https ? `https:${p.metadata!.name}:${https.containerPort}` : `${p.metadata!.name}:${http?.containerPort ?? DEFAULT_PORT}`;
}

export async function kubeClient(o: KubeOptions): Promise<Client> {
  const kc = await loadConfig(o);
  const ns = o['agent-namespace'] ?? AGENT_NAMESPACE;
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const server = kc.getCurrentCluster()!.server;
  let pods: V1Pod[];
  try {
    pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: AGENT_SELECTOR })).items;
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 401 || code === 403) throw new UnreachableError(`the Kubernetes API refused to list the agent pods in ${ns} (${code}): the plugin needs list pods and get pods/proxy there`);
    throw new UnreachableError(`cannot reach the Kubernetes API at ${server}: ${(e as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  const pod = choosePod(pods, o);
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  // the API server keeps Authorization for itself: the agent reads the same token here
  if (headers.authorization) headers['x-habitwatch-authorization'] = headers.authorization;
  const o2 = opts as RequestOptions & { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean };
  const base = new URL(`${server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${proxyTarget(pod)}/proxy`);
  return httpClient({
    base,
    headers,
    tls: { ...(o2.ca ? { ca: o2.ca } : {}), ...(o2.cert ? { cert: o2.cert } : {}), ...(o2.key ? { key: o2.key } : {}), ...(o2.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}) },
    where: `pod ${ns}/${pod.metadata!.name} via ${server}`,
  });
}
