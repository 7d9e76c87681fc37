// The `kubernetes:` section of the agent config: its schema (composed into the one
// config schema) and its parsed, defaulted form.
//
//   kubernetes:
//     api: auto                # auto: on inside a pod (service account present) or with a kubeconfig
//     kubeconfig: ~/.kube/config   # optional: out of cluster (else the pod's service account)
//     context: my-cluster      # optional: a context of that kubeconfig
//     holdUnknownPods: 2s      # events of a container the API has not reported yet wait at most this long
//     retry: { initial: 500ms, max: 30s }   # informer and lookup retries after API errors
//     peers: headless          # destination identity: Services + EndpointSlices of headless Services (all | off)
//     runtimeDirs:             # container names without the API, from the runtime's OCI bundles
//       - { runtime: containerd, dir: /run/containerd/io.containerd.runtime.v2.task/k8s.io }
//       - { runtime: cri-o, dir: /run/containers/storage/overlay-containers }
//     baselines:               # cluster-wide baselines (WorkloadBaseline objects)
//       sync: true
//       writeInterval: 30s     # a workload's object is written at most this often per node (and yields to other nodes' writes)
//       maxObjectBytes: 786432 # an object past this is `unstable` (etcd refuses 1.5 MiB)
import { existsSync } from 'node:fs';
import { DEFAULT_RUNTIME_DIRS, type RuntimeDir } from '../../collector/enrich/kube/runtime.ts';
import { durationSchema, parseDuration } from '../config/duration.ts';

export interface KubernetesConfig {
  /** informers, owner lookups and baseline sync through the API */
  api: boolean;
  kubeconfig?: string;
  context?: string;
  holdMs: number;
  retry: { initialMs: number; maxMs: number };
  peers: 'headless' | 'all' | 'off';
  runtimeDirs: RuntimeDir[];
  baselines: { sync: boolean; writeIntervalMs: number; maxObjectBytes: number };
}

/** the longest an event may wait for its pod: detection is never delayed more */
export const MAX_HOLD_MS = 2000;
/** etcd refuses objects over 1.5 MiB; this leaves room for metadata and status */
export const MAX_OBJECT_BYTES = 1_200_000;

export const kubernetesSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    api: { anyOf: [{ const: 'auto' }, { type: 'boolean' }], errorMessage: '"auto", true or false' },
    kubeconfig: { type: 'string', minLength: 1 },
    context: { type: 'string', minLength: 1 },
    holdUnknownPods: durationSchema,
    peers: { enum: ['headless', 'all', 'off'] },
    retry: { type: 'object', additionalProperties: false, properties: { initial: durationSchema, max: durationSchema } },
    runtimeDirs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['runtime', 'dir'],
        properties: { runtime: { enum: ['containerd', 'cri-o'] }, dir: { type: 'string', minLength: 1 } },
      },
    },
    baselines: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sync: { type: 'boolean' },
        writeInterval: durationSchema,
        maxObjectBytes: { type: 'integer', minimum: 1024, maximum: MAX_OBJECT_BYTES },
      },
    },
  },
};

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** running in a pod with a service account: the kubelet's environment and token */
export function inCluster(env: NodeJS.ProcessEnv = process.env, tokenFile = SA_TOKEN): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(tokenFile);
}

interface RawKubernetes {
  api?: 'auto' | boolean;
  kubeconfig?: string;
  context?: string;
  holdUnknownPods?: string | number;
  peers?: 'headless' | 'all' | 'off';
  retry?: { initial?: string | number; max?: string | number };
  runtimeDirs?: RuntimeDir[];
  baselines?: { sync?: boolean; writeInterval?: string | number; maxObjectBytes?: number };
}

/** the validated section with defaults; returns problems (one line each) instead of throwing */
export function parseKubernetes(raw: unknown): { config: KubernetesConfig; problems: string[] } {
  const r = (raw ?? {}) as RawKubernetes;
  const problems: string[] = [];
  const holdMs = r.holdUnknownPods !== undefined ? parseDuration(r.holdUnknownPods) : MAX_HOLD_MS;
  if (holdMs > MAX_HOLD_MS) problems.push(`kubernetes.holdUnknownPods: at most ${MAX_HOLD_MS / 1000}s (detection is never delayed longer)`);
  const retry = { initialMs: r.retry?.initial !== undefined ? parseDuration(r.retry.initial) : 500, maxMs: r.retry?.max !== undefined ? parseDuration(r.retry.max) : 30_000 };
  if (retry.initialMs <= 0 || retry.maxMs < retry.initialMs) problems.push('kubernetes.retry: initial must be > 0 and at most max');
  const api = r.api === undefined || r.api === 'auto' ? r.kubeconfig !== undefined || inCluster() : r.api;
  if (r.api === false && r.kubeconfig !== undefined) problems.push('kubernetes.kubeconfig: set, but kubernetes.api is false');
  if (r.kubeconfig !== undefined && !existsSync(r.kubeconfig)) problems.push(`kubernetes.kubeconfig: cannot read ${r.kubeconfig}`);
  const config: KubernetesConfig = {
    api,
    ...(r.kubeconfig !== undefined ? { kubeconfig: r.kubeconfig } : {}),
    ...(r.context !== undefined ? { context: r.context } : {}),
    holdMs,
    retry,
    peers: r.peers ?? 'headless',
    runtimeDirs: r.runtimeDirs ?? DEFAULT_RUNTIME_DIRS,
    baselines: {
      sync: r.baselines?.sync ?? true,
      writeIntervalMs: r.baselines?.writeInterval !== undefined ? parseDuration(r.baselines.writeInterval) : 30_000,
      maxObjectBytes: r.baselines?.maxObjectBytes ?? 786_432,
    },
  };
  return { config, problems };
}
