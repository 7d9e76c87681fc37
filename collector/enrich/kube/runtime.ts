// Names of a container from what its runtime keeps on the node, without the API: the
// OCI bundle's config.json carries the CRI's annotations — containerd:
// io.kubernetes.cri.{sandbox-namespace, sandbox-name, sandbox-uid, container-name};
// CRI-O: the kubelet's labels as JSON in io.kubernetes.cri-o.Labels
// (io.kubernetes.pod.{namespace,name,uid}, io.kubernetes.container.name). Read once per
// container id, kept in a bounded map; a miss is retried after a while (the bundle may
// come a moment after the first event of a starting container).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRuntime } from '../../event.ts';

export interface RuntimeDir {
  runtime: 'containerd' | 'cri-o';
  /** containerd: <dir>/<id>/config.json; CRI-O: <dir>/<id>/userdata/config.json */
  dir: string;
}

export const DEFAULT_RUNTIME_DIRS: RuntimeDir[] = [
  { runtime: 'containerd', dir: '/run/containerd/io.containerd.runtime.v2.task/k8s.io' },
  { runtime: 'cri-o', dir: '/run/containers/storage/overlay-containers' },
];

export interface RuntimeNames {
  namespace: string;
  pod: string;
  podUid?: string;
  container: string;
  image?: string;
}

type Annotations = Record<string, string>;

function fromContainerd(a: Annotations): RuntimeNames | undefined {
  const namespace = a['io.kubernetes.cri.sandbox-namespace'];
  const pod = a['io.kubernetes.cri.sandbox-name'];
  if (!namespace || !pod) return undefined;
  const sandbox = a['io.kubernetes.cri.container-type'] === 'sandbox';
  const container = sandbox ? 'POD' : a['io.kubernetes.cri.container-name'];
  if (!container) return undefined;
  const uid = a['io.kubernetes.cri.sandbox-uid'];
  const image = a['io.kubernetes.cri.image-name'];
  return { namespace, pod, container, ...(uid ? { podUid: uid } : {}), ...(image ? { image } : {}) };
}

function fromCrio(a: Annotations): RuntimeNames | undefined {
  let labels: Annotations = {};
  try {
    labels = JSON.parse(a['io.kubernetes.cri-o.Labels'] ?? '{}') as Annotations;
  } catch {
    /* fall back to plain annotations */
  }
  const get = (k: string): string | undefined => labels[k] ?? a[k];
  const namespace = get('io.kubernetes.pod.namespace');
  const pod = get('io.kubernetes.pod.name');
  if (!namespace || !pod) return undefined;
  const sandbox = a['io.kubernetes.cri-o.ContainerType'] === 'sandbox';
  const container = sandbox ? 'POD' : get('io.kubernetes.container.name');
  if (!container) return undefined;
  const uid = get('io.kubernetes.pod.uid');
  const image = a['io.kubernetes.cri-o.ImageName'];
  return { namespace, pod, container, ...(uid ? { podUid: uid } : {}), ...(image ? { image } : {}) };
}

export interface RuntimeStateOptions {
  dirs?: RuntimeDir[];
  max?: number;
  missTtlMs?: number;
  now?: () => number;
}

export class RuntimeState {
  private cache = new Map<string, RuntimeNames | number>();
  private readonly dirs: RuntimeDir[];
  private readonly max: number;
  private readonly missTtlMs: number;
  private readonly now: () => number;
  reads = 0;

  constructor(o: RuntimeStateOptions = {}) {
    this.dirs = o.dirs ?? DEFAULT_RUNTIME_DIRS;
    this.max = o.max ?? 4096;
    this.missTtlMs = o.missTtlMs ?? 5000;
    this.now = o.now ?? Date.now;
  }

  /** namespace, pod and container names of a container, when its runtime's bundle says */
  names(id: string, runtime: ContainerRuntime = 'unknown'): RuntimeNames | undefined {
    const hit = this.cache.get(id);
    if (hit !== undefined) {
      if (typeof hit !== 'number') return hit;
      if (this.now() < hit) return undefined;
    }
    const found = this.read(id, runtime);
    if (this.cache.size >= this.max) {
      for (const k of this.cache.keys()) {
        if (this.cache.size < this.max * 0.9) break;
        this.cache.delete(k);
      }
    }
    this.cache.set(id, found ?? this.now() + this.missTtlMs);
    return found;
  }

  private read(id: string, runtime: ContainerRuntime): RuntimeNames | undefined {
    if (!/^[0-9a-f]{16,128}$/.test(id)) return undefined;
    for (const d of this.dirs) {
      if (runtime !== 'unknown' && runtime !== d.runtime) continue;
      const file = d.runtime === 'cri-o' ? join(d.dir, id, 'userdata', 'config.json') : join(d.dir, id, 'config.json');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      this.reads++;
      try {
        const a = ((JSON.parse(text) as { annotations?: Annotations }).annotations ?? {}) as Annotations;
        const n = d.runtime === 'cri-o' ? fromCrio(a) : fromContainerd(a);
        if (n) return n;
      } catch {
        /* a bundle being written or not JSON: not ours to judge */
      }
    }
    return undefined;
  }
}
