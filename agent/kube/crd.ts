// The WorkloadBaseline object (manifests/base/crds/workloadbaselines.habitwatch.io.yaml) and
// the cluster view of a baseline (models/baseline/cluster.ts): naming, the label that
// lets each node watch only its workloads' objects, conversion both ways, the status a
// node writes, and the union of what the object holds with what this node knows.
import { createHash } from 'node:crypto';
import type { BaselineState } from '../../models/alert.ts';
import type { ClusterContainer, ClusterItem, Tombstone } from '../../models/baseline/cluster.ts';
import { BASELINE_KINDS, type BaselineKind } from '../../models/baseline/items.ts';

export const GROUP = 'habitwatch.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'workloadbaselines';
export const KIND = 'WorkloadBaseline';
export const WORKLOAD_LABEL = 'habitwatch.io/workload';
export const MAX_NODES = 32;
export const MAX_TOMBSTONES = 256;

export interface CrdItem {
  key: string;
  firstSeen?: string;
  parents?: string[];
  approved?: boolean;
}

export interface CrdContainerSpec {
  name: string;
  version: number;
  image?: string;
  images?: string[];
  lockedBy?: string;
  decidedAt?: string;
  items?: Partial<Record<BaselineKind, CrdItem[]>>;
  collapsed?: Partial<Record<BaselineKind, string[]>>;
  forbidden?: Partial<Record<BaselineKind, string[]>>;
  removed?: { kind: BaselineKind; key: string; at: string }[];
}

export interface CrdContainerStatus {
  name: string;
  state: BaselineState;
  version: number;
  image?: string;
  items?: number;
  counts?: Partial<Record<BaselineKind, number>>;
  learningSince?: string;
  lastNewItemAt?: string;
  stableSince?: string;
  unstableReason?: string;
}

export interface WorkloadBaselineObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec: { workload: { kind: string; name: string }; containers: CrdContainerSpec[] };
  status?: {
    state?: BaselineState;
    containerCount?: number;
    items?: number;
    nodeCount?: number;
    nodes?: string[];
    lastUpdate?: string;
    lastUpdateNode?: string;
    containers?: CrdContainerStatus[];
  };
}

/** a workload id `namespace/Kind/name` the cluster can hold (not a node-local identity) */
export function clusterWorkload(id: string): { namespace: string; kind: string; name: string } | undefined {
  if (id.startsWith('host/')) return undefined;
  const parts = id.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { namespace: parts[0], kind: parts[1], name: parts[2] };
}

const short = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** the object's name: <kind>.<name> (a DNS subdomain), shortened with a hash past 253 */
export function objectName(kind: string, name: string): string {
  const n = `${kind.toLowerCase()}.${name}`;
  return n.length <= 253 ? n : `${n.slice(0, 236)}.${short(n, 16)}`;
}

/** the label value a node selects its workloads' objects by (a label value is at most 63 chars) */
export function workloadLabel(workloadId: string): string {
  return short(workloadId, 16);
}

const iso = (t: number): string => new Date(t).toISOString();
const ms = (s: string | undefined, fallback: number): number => {
  const t = s === undefined ? NaN : Date.parse(s);
  return Number.isNaN(t) ? fallback : t;
};

/** the cluster view of one container of an object (spec, with the state its status reports) */
export function fromObject(spec: CrdContainerSpec, status: CrdContainerStatus | undefined): ClusterContainer {
  const items: ClusterContainer['items'] = {};
  let newest = 0;
  for (const kind of BASELINE_KINDS) {
    const list = spec.items?.[kind];
    if (!list) continue;
    items[kind] = list.map((i) => {
      const c: ClusterItem = { key: i.key, firstSeen: ms(i.firstSeen, 0) };
      if (i.parents?.length) c.parents = i.parents;
      if (i.approved) c.approved = true;
      newest = Math.max(newest, c.firstSeen);
      return c;
    });
  }
  const fresh = status !== undefined && status.version === spec.version;
  return {
    name: spec.name,
    version: spec.version,
    image: spec.image ?? null,
    ...(spec.images?.length ? { images: spec.images } : {}),
    // no status of this version yet: it says nothing about state
    state: spec.lockedBy !== undefined ? 'locked' : fresh ? status.state : 'learning',
    learningSince: fresh ? ms(status.learningSince, Infinity) : Infinity,
    lastNewItemAt: Math.max(newest, fresh ? ms(status.lastNewItemAt, 0) : 0),
    stableSince: fresh && status.stableSince !== undefined ? ms(status.stableSince, 0) : null,
    lockedBy: spec.lockedBy ?? null,
    unstableReason: fresh ? (status.unstableReason ?? null) : null,
    ...(spec.decidedAt !== undefined ? { decidedAt: ms(spec.decidedAt, 0) } : {}),
    items,
    collapsed: spec.collapsed ?? {},
    ...(spec.forbidden ? { forbidden: spec.forbidden } : {}),
    ...(spec.removed?.length ? { removed: spec.removed.map((t) => ({ kind: t.kind, key: t.key, at: ms(t.at, 0) })) } : {}),
  };
}

/** the workload id an object is about: its namespace, and the kind and name its spec names */
export function objectWorkload(o: WorkloadBaselineObject): string {
  return `${o.metadata.namespace}/${o.spec.workload.kind}/${o.spec.workload.name}`;
}

/**
 * An object as every reader takes it (the baseline sync, `POST /v1/baselines/import`):
 * the Kubernetes workload it is about and the cluster view of each of its containers
 * (its spec, with the state its status reports); undefined when it names no workload.
 */
export function readObject(o: WorkloadBaselineObject): { id: string; workload: { namespace: string; kind: string; name: string }; containers: ClusterContainer[] } | undefined {
  if (!o.spec?.workload || !Array.isArray(o.spec.containers)) return undefined;
  const id = objectWorkload(o);
  const workload = clusterWorkload(id);
  if (!workload) return undefined;
  return { id, workload, containers: o.spec.containers.map((sc) => fromObject(sc, o.status?.containers?.find((c) => c.name === sc.name))) };
}

function itemOut(c: ClusterItem): CrdItem {
  return {
    key: c.key,
    ...(c.firstSeen > 0 ? { firstSeen: iso(c.firstSeen) } : {}),
    ...(c.parents?.length ? { parents: c.parents } : {}),
    ...(c.approved ? { approved: true } : {}),
  };
}

/**
 * The spec of one container to write: this node's view united with what the object
 * holds of the same version (what other nodes learned stays, even items this node did
 * not take), minus removed items; a newer local version replaces the object's.
 */
export function specOut(local: ClusterContainer, remote: ClusterContainer | undefined, newTombstones: Tombstone[]): CrdContainerSpec {
  const same = remote !== undefined && remote.version === local.version;
  const tombs = new Map<string, Tombstone>();
  for (const t of [...(same ? (remote.removed ?? []) : []), ...newTombstones]) tombs.set(`${t.kind}\u0000${t.key}`, t);
  const removed = [...tombs.values()].sort((a, b) => a.at - b.at).slice(-MAX_TOMBSTONES);
  const gone = (kind: BaselineKind, c: ClusterItem): boolean => {
    const t = tombs.get(`${kind}\u0000${c.key}`);
    return t !== undefined && c.firstSeen <= t.at;
  };
  const items: CrdContainerSpec['items'] = {};
  for (const kind of BASELINE_KINDS) {
    const byKey = new Map<string, ClusterItem>();
    for (const c of same ? (remote.items[kind] ?? []) : []) if (!gone(kind, c)) byKey.set(c.key, c);
    for (const c of local.items[kind] ?? []) {
      if (gone(kind, c)) continue;
      const r = byKey.get(c.key);
      byKey.set(c.key, r ? { ...c, firstSeen: Math.min(c.firstSeen, r.firstSeen), ...(r.approved || c.approved ? { approved: true } : {}) } : c);
    }
    if (byKey.size > 0) items[kind] = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(itemOut);
  }
  const forbidden: Partial<Record<BaselineKind, string[]>> = structuredClone(local.forbidden ?? {});
  if (same) for (const [k, pats] of Object.entries(remote.forbidden ?? {}) as [BaselineKind, string[]][]) forbidden[k] = [...new Set([...(forbidden[k] ?? []), ...pats])].sort();
  const collapsed: Partial<Record<BaselineKind, string[]>> = structuredClone(local.collapsed);
  if (same) for (const [k, dirs] of Object.entries(remote.collapsed) as [BaselineKind, string[]][]) collapsed[k] = [...new Set([...(collapsed[k] ?? []), ...dirs])].sort();
  const images = [...new Set([...(local.images ?? []), ...(same ? (remote.images ?? []) : [])])].filter((i) => i !== local.image).slice(0, 8);
  return {
    name: local.name,
    version: local.version,
    ...(local.image !== null ? { image: local.image } : {}),
    ...(images.length > 0 ? { images } : {}),
    ...(local.lockedBy !== null ? { lockedBy: local.lockedBy } : {}),
    ...(local.decidedAt !== undefined ? { decidedAt: iso(local.decidedAt) } : {}),
    items,
    ...(Object.keys(collapsed).length > 0 ? { collapsed } : {}),
    ...(Object.keys(forbidden).length > 0 ? { forbidden } : {}),
    ...(removed.length > 0 ? { removed: removed.map((t) => ({ kind: t.kind, key: t.key, at: iso(t.at) })) } : {}),
  };
}

/** the status of one container, from the merged local state and the spec written */
export function statusOut(local: ClusterContainer, spec: CrdContainerSpec): CrdContainerStatus {
  const counts: Partial<Record<BaselineKind, number>> = {};
  let n = 0;
  for (const kind of BASELINE_KINDS) {
    const c = spec.items?.[kind]?.length ?? 0;
    if (c > 0) counts[kind] = c;
    n += c;
  }
  return {
    name: local.name,
    state: local.state,
    version: local.version,
    ...(local.image !== null ? { image: local.image } : {}),
    items: n,
    counts,
    ...(Number.isFinite(local.learningSince) ? { learningSince: iso(local.learningSince) } : {}),
    ...(local.lastNewItemAt > 0 ? { lastNewItemAt: iso(local.lastNewItemAt) } : {}),
    ...(local.stableSince !== null ? { stableSince: iso(local.stableSince) } : {}),
    ...(local.unstableReason !== null ? { unstableReason: local.unstableReason } : {}),
  };
}

const SETTLED: Record<BaselineState, number> = { learning: 0, relearning: 1, unstable: 2, stable: 3, locked: 4 };

/** the object's status: the least settled container's state, totals, contributing nodes */
export function objectStatus(containers: CrdContainerStatus[], prev: WorkloadBaselineObject['status'], node: string, contributed: boolean, now: number): NonNullable<WorkloadBaselineObject['status']> {
  const state = containers.reduce<BaselineState | undefined>((s, c) => (s === undefined || SETTLED[c.state] < SETTLED[s] ? c.state : s), undefined) ?? 'learning';
  // the nodes that contributed items, named and counted up to MAX_NODES
  const nodes = [...(prev?.nodes ?? [])];
  if (contributed && !nodes.includes(node) && nodes.length < MAX_NODES) nodes.push(node);
  const nodeCount = nodes.length;
  return {
    state,
    containerCount: containers.length,
    items: containers.reduce((n, c) => n + (c.items ?? 0), 0),
    nodeCount,
    nodes: nodes.sort(),
    lastUpdate: iso(now),
    lastUpdateNode: node,
    containers,
  };
}
