// The pods of this node as enrichment needs them: a slim copy of each (names, owner,
// service account, labels, IPs, and per container its runtime id, name, image and
// digest — nothing of spec, volumes, env or managedFields), indexed by pod UID, by
// container id and by pod IP. Containers of deleted pods are remembered for a while:
// a process's last events arrive after its pod is gone from the API.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ContainerRuntime } from '../../event.ts';
import { imageDigest, parseContainerUri } from './names.ts';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface SlimContainer {
  name: string;
  /** runtime id (64 hex), without the runtime:// scheme */
  id: string;
  runtime: ContainerRuntime;
  image: string;
  digest?: string;
}

export interface SlimPod extends KubernetesObject {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; labels?: Record<string, string>; owner?: OwnerRef };
  node?: string;
  serviceAccount?: string;
  ips: string[];
  /** containers that have started (have an id), init and ephemeral ones included */
  containers: SlimContainer[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** a pod from the API (a list item or a watch event) reduced to what enrichment uses */
export function slimPod(raw: Obj): SlimPod {
  const m = obj(raw.metadata);
  const spec = obj(raw.spec);
  const status = obj(raw.status);
  const refs = Array.isArray(m.ownerReferences) ? (m.ownerReferences as Obj[]) : [];
  const ctl = refs.find((r) => r.controller === true);
  const containers: SlimContainer[] = [];
  for (const list of [status.initContainerStatuses, status.containerStatuses, status.ephemeralContainerStatuses]) {
    if (!Array.isArray(list)) continue;
    for (const cs of list as Obj[]) {
      const uri = str(cs.containerID);
      const name = str(cs.name);
      if (!uri || !name) continue;
      const { id, runtime } = parseContainerUri(uri);
      const digest = imageDigest(str(cs.imageID));
      containers.push({ name, id, runtime, image: str(cs.image) ?? '', ...(digest ? { digest } : {}) });
    }
  }
  const ips = new Set<string>();
  if (Array.isArray(status.podIPs)) for (const p of status.podIPs as Obj[]) if (str(p.ip)) ips.add(p.ip as string);
  if (str(status.podIP)) ips.add(status.podIP as string);
  // host-network pods share the node's address: it names no one workload
  if (spec.hostNetwork === true) ips.clear();
  const labels = m.labels && typeof m.labels === 'object' ? { ...(m.labels as Record<string, string>) } : undefined;
  return {
    metadata: {
      name: String(m.name ?? ''),
      namespace: String(m.namespace ?? ''),
      uid: String(m.uid ?? ''),
      ...(str(m.resourceVersion) ? { resourceVersion: m.resourceVersion as string } : {}),
      ...(labels ? { labels } : {}),
      ...(ctl ? { owner: { apiVersion: String(ctl.apiVersion ?? ''), kind: String(ctl.kind ?? ''), name: String(ctl.name ?? ''), uid: String(ctl.uid ?? '') } } : {}),
    },
    ...(str(spec.nodeName) ? { node: spec.nodeName as string } : {}),
    ...(str(spec.serviceAccountName) ? { serviceAccount: spec.serviceAccountName as string } : {}),
    ips: [...ips],
    containers,
  };
}

export interface ContainerHit {
  pod: SlimPod;
  container: SlimContainer;
}

export class PodIndex {
  private byUid = new Map<string, SlimPod>();
  private byContainer = new Map<string, ContainerHit>();
  private byIp = new Map<string, SlimPod>();
  /** containers of deleted pods, oldest first: id → [hit, deleted at] */
  private gone = new Map<string, [ContainerHit, number]>();

  constructor(
    private readonly goneMs = 5 * 60_000,
    private readonly maxGone = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.byUid.size;
  }

  /** add or replace a pod; returns the ids of containers it did not have before */
  upsert(p: SlimPod): string[] {
    const prev = this.byUid.get(p.metadata.uid);
    if (prev) this.unindex(prev, false);
    this.byUid.set(p.metadata.uid, p);
    const fresh: string[] = [];
    for (const c of p.containers) {
      if (!prev?.containers.some((x) => x.id === c.id)) fresh.push(c.id);
      this.byContainer.set(c.id, { pod: p, container: c });
      this.gone.delete(c.id);
    }
    for (const ip of p.ips) this.byIp.set(ip, p);
    return fresh;
  }

  remove(p: SlimPod): void {
    const cur = this.byUid.get(p.metadata.uid);
    if (!cur) return;
    this.byUid.delete(p.metadata.uid);
    this.unindex(cur, true);
  }

  private unindex(p: SlimPod, deleted: boolean): void {
    for (const c of p.containers) {
      const hit = this.byContainer.get(c.id);
      if (hit?.pod !== p) continue;
      this.byContainer.delete(c.id);
      if (deleted) this.remember(c.id, hit);
    }
    for (const ip of p.ips) if (this.byIp.get(ip) === p) this.byIp.delete(ip);
  }

  private remember(id: string, hit: ContainerHit): void {
    this.gone.set(id, [hit, this.now()]);
    if (this.gone.size <= this.maxGone) return;
    for (const k of this.gone.keys()) {
      if (this.gone.size <= this.maxGone * 0.9) break;
      this.gone.delete(k);
    }
  }

  container(id: string): ContainerHit | undefined {
    const hit = this.byContainer.get(id);
    if (hit !== undefined) return hit;
    const g = this.gone.get(id);
    if (g === undefined) return undefined;
    if (this.now() - g[1] > this.goneMs) {
      this.gone.delete(id);
      return undefined;
    }
    return g[0];
  }

  pod(uid: string): SlimPod | undefined {
    return this.byUid.get(uid);
  }

  podByIp(ip: string): SlimPod | undefined {
    return this.byIp.get(ip);
  }

  pods(): IterableIterator<SlimPod> {
    return this.byUid.values();
  }
}
