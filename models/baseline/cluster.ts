// One baseline per workload across the cluster: what a node's baseline of a workload
// container looks like to the others (ClusterContainer: items without per-node counters,
// so it only changes when something is learned or decided), and how a node merges the
// cluster's view into its own. Pure: the Kubernetes object that carries it is agent/kube.
//
// Merge rules, per container:
//  - a higher version (a new image, a relearn from scratch) wins wholesale: the node
//    archives its own and takes the cluster's items, state and timings;
//  - the same version: items are united — a learning baseline takes them all; an
//    enforcing one takes those learned before it became stable (sync lag) or approved by
//    a person, never what another node learned after the cluster was stable (that is
//    what it would alert on); forbidden patterns are united; removals (tombstones) remove;
//  - state: the latest person decision (lock, unlock, relearn: decidedAt) wins; else
//    unstable > stable > learning, so a replica on a new node starts stable from the
//    cluster's baseline; learning timings are the earliest start and the latest new item.
import type { BaselineState } from '../alert.ts';
import { Baseline } from './baseline.ts';
import { BASELINE_KINDS, type BaselineKind, type Item } from './items.ts';
import { setState } from './learning.ts';
import { mergeItems as mergeLocal, type Unconfirmed } from './merge.ts';

/**
 * An item as the cluster keeps it: what detection needs (the key, when it was first
 * seen, an exec's parents for lineage), not the per-node counters or the argument and
 * operation samples kept for display — those stay on the node that saw them.
 */
export interface ClusterItem {
  key: string;
  firstSeen: number;
  parents?: string[];
  /** added by a person (approve, import) rather than learned */
  approved?: boolean;
}

export interface Tombstone {
  kind: BaselineKind;
  key: string;
  /** when it was removed (an item first seen later is new again) */
  at: number;
}

export interface ClusterContainer {
  name: string;
  version: number;
  image: string | null;
  images?: string[];
  state: BaselineState;
  learningSince: number;
  lastNewItemAt: number;
  stableSince: number | null;
  lockedBy: string | null;
  unstableReason: string | null;
  decidedAt?: number;
  items: Partial<Record<BaselineKind, ClusterItem[]>>;
  collapsed: Partial<Record<BaselineKind, string[]>>;
  forbidden?: Partial<Record<BaselineKind, string[]>>;
  removed?: Tombstone[];
}

export interface MergeResult {
  /** the local baseline changed (persist it) */
  changed: boolean;
  /** items taken from the cluster */
  accepted: number;
  /** items another node learned after this baseline was stable: not taken */
  rejected: number;
  /** the local baseline has something the cluster lacks (a newer version) */
  ahead: boolean;
  /** what this node learned of the same image before it heard of the cluster's (enforcing) baseline: judge it */
  unconfirmed: Unconfirmed[];
}

const RANK: Record<BaselineState, number> = { learning: 0, relearning: 0, stable: 1, unstable: 2, locked: 3 };

/** the cluster's view of a local baseline (`approved`: keys `${kind}\0${key}` added by a person) */
export function toCluster(b: Baseline, approved?: ReadonlySet<string>): ClusterContainer {
  const m = b.meta;
  const items: ClusterContainer['items'] = {};
  for (const kind of BASELINE_KINDS) {
    const list: ClusterItem[] = [];
    for (const it of b.items.get(kind)!.values()) {
      const c: ClusterItem = { key: it.key, firstSeen: it.firstSeen };
      if (it.detail?.parents?.length) c.parents = [...it.detail.parents];
      if (approved?.has(`${kind}\u0000${it.key}`)) c.approved = true;
      list.push(c);
    }
    if (list.length > 0) items[kind] = list.sort((a, z) => (a.key < z.key ? -1 : a.key > z.key ? 1 : 0));
  }
  return {
    name: m.container,
    version: m.version,
    image: m.image,
    ...(m.images?.length ? { images: [...m.images] } : {}),
    state: m.state,
    learningSince: m.learningSince,
    lastNewItemAt: m.lastNewItemAt,
    stableSince: m.stableSince,
    lockedBy: m.lockedBy,
    unstableReason: m.unstableReason,
    ...(m.decidedAt !== undefined ? { decidedAt: m.decidedAt } : {}),
    items,
    collapsed: structuredClone(m.collapsed),
    ...(m.forbidden && Object.keys(m.forbidden).length > 0 ? { forbidden: structuredClone(m.forbidden) } : {}),
  };
}

function union(into: string[] | undefined, from: string[] | undefined, max = 32): { list: string[] | undefined; changed: boolean } {
  if (!from || from.length === 0) return { list: into, changed: false };
  const out = into ? [...into] : [];
  let changed = false;
  for (const v of from) {
    if (out.length >= max) break;
    if (!out.includes(v)) {
      out.push(v);
      changed = true;
    }
  }
  return { list: out, changed };
}

function itemOf(c: ClusterItem): Item {
  const detail: Item['detail'] = {};
  if (c.parents?.length) detail.parents = [...c.parents];
  return { key: c.key, count: 0, firstSeen: c.firstSeen, lastSeen: c.firstSeen, nodes: [], ...(Object.keys(detail).length > 0 ? { detail } : {}) };
}

/** take the cluster's items into a baseline; returns [accepted, rejected, changed] */
function mergeItems(b: Baseline, rc: ClusterContainer): [number, number, boolean] {
  let accepted = 0;
  let rejected = 0;
  let changed = false;
  const learning = b.learning();
  const stableSince = b.meta.stableSince;
  for (const kind of BASELINE_KINDS) {
    for (const c of rc.items[kind] ?? []) {
      const key = b.canonical(kind, c.key);
      if (b.forbiddenBy(kind, key) !== undefined) continue;
      const known = b.get(kind, key);
      if (known !== undefined) {
        let ch = false;
        if (c.firstSeen < known.firstSeen) {
          known.firstSeen = c.firstSeen;
          ch = true;
        }
        const u = union(known.detail?.parents, c.parents);
        if (u.changed) {
          (known.detail ??= {}).parents = u.list;
          ch = true;
        }
        if (ch) {
          b.dirty.mark(kind, known.key);
          changed = true;
        }
        continue;
      }
      // learned elsewhere after this baseline was stable: that is news, not habit
      if (!learning && !c.approved && (stableSince === null || c.firstSeen > stableSince)) {
        rejected++;
        continue;
      }
      b.putItem(kind, { ...itemOf(c), key });
      accepted++;
      changed = true;
    }
  }
  return [accepted, rejected, changed];
}

/**
 * A learning baseline about to take the cluster's settled state: what it learned on its
 * own since the cluster became stable (a new replica's first moments, before the
 * cluster's baseline arrived) is not habit — it leaves the baseline, to be judged.
 */
function unsettled(b: Baseline, rc: ClusterContainer): Unconfirmed[] {
  if (!b.learning() || (rc.state !== 'stable' && rc.state !== 'locked') || rc.stableSince === null) return [];
  if ((rc.decidedAt ?? 0) < (b.meta.decidedAt ?? 0)) return [];
  const theirs = new Set<string>();
  for (const kind of BASELINE_KINDS) for (const c of rc.items[kind] ?? []) theirs.add(`${kind}\u0000${b.canonical(kind, c.key)}`);
  const out: Unconfirmed[] = [];
  for (const kind of BASELINE_KINDS) {
    for (const it of [...b.items.get(kind)!.values()]) {
      if (it.firstSeen <= rc.stableSince || theirs.has(`${kind}\u0000${it.key}`)) continue;
      b.removeItem(kind, it.key);
      out.push({ kind, item: it });
    }
  }
  return out;
}

/** apply the cluster's state to the same version of a local baseline; true when it changed */
function mergeState(b: Baseline, rc: ClusterContainer, now: number): boolean {
  const m = b.meta;
  const mine = m.decidedAt ?? 0;
  const theirs = rc.decidedAt ?? 0;
  if (theirs > mine) {
    // a person decided later on another node: that decision stands here too
    m.state = rc.state;
    m.lockedBy = rc.lockedBy;
    m.learningSince = rc.learningSince;
    m.lastNewItemAt = Math.max(m.lastNewItemAt, rc.lastNewItemAt);
    m.stableSince = rc.stableSince;
    m.unstableReason = rc.unstableReason;
    m.decidedAt = theirs;
    b.metaDirty = true;
    return true;
  }
  if (theirs < mine) return false;
  let changed = false;
  if (rc.learningSince < m.learningSince && b.learning()) {
    m.learningSince = rc.learningSince;
    changed = true;
  }
  if (rc.lastNewItemAt > m.lastNewItemAt) {
    m.lastNewItemAt = rc.lastNewItemAt;
    changed = true;
  }
  if (RANK[rc.state] > RANK[m.state] && rc.state !== 'locked') {
    if (rc.state === 'stable') setState(b, 'stable', rc.stableSince ?? now);
    else {
      setState(b, 'unstable', now);
      m.unstableReason = rc.unstableReason;
    }
    changed = true;
  }
  if (changed) b.metaDirty = true;
  return changed;
}

/** merge the cluster's view of a container into the local baseline of it */
export function mergeCluster(b: Baseline, rc: ClusterContainer, now: number): MergeResult {
  const m = b.meta;
  if (rc.version < m.version) return { changed: false, accepted: 0, rejected: 0, ahead: true, unconfirmed: [] };
  if (rc.version > m.version) {
    // a newer version elsewhere (new image, relearn from scratch): take it as it is
    const mine = b.snapshot();
    const sameImage = m.image === null || m.image === rc.image || (rc.images?.includes(m.image) ?? false);
    b.archived.push(mine);
    b.clear();
    m.version = rc.version;
    m.image = rc.image;
    if (rc.images?.length) m.images = [...rc.images];
    else delete m.images;
    for (const [kind, dirs] of Object.entries(rc.collapsed) as [BaselineKind, string[]][]) for (const d of dirs) b.collapse(kind, d);
    m.state = rc.state;
    m.learningSince = rc.learningSince;
    m.lastNewItemAt = rc.lastNewItemAt;
    m.stableSince = rc.stableSince;
    m.lockedBy = rc.lockedBy;
    m.unstableReason = rc.unstableReason;
    if (rc.decidedAt !== undefined) m.decidedAt = rc.decidedAt;
    for (const [kind, pats] of Object.entries(rc.forbidden ?? {}) as [BaselineKind, string[]][]) for (const p of pats) b.forbid(kind, p);
    let accepted = 0;
    for (const kind of BASELINE_KINDS) {
      for (const c of rc.items[kind] ?? []) {
        b.putItem(kind, itemOf(c));
        accepted++;
      }
    }
    // what this node learned of the same image meanwhile is not lost: learned, or judged
    let unconfirmed: Unconfirmed[] = [];
    if (sameImage && (mine.meta.decidedAt ?? 0) <= (rc.decidedAt ?? 0)) {
      const own: [BaselineKind, Item][] = [];
      for (const [kind, list] of Object.entries(mine.items) as [BaselineKind, Item[]][]) for (const it of list) own.push([kind, it]);
      unconfirmed = mergeLocal(b, own, true);
    }
    b.metaDirty = true;
    return { changed: true, accepted, rejected: 0, ahead: false, unconfirmed };
  }
  let changed = false;
  const imgs = union(m.images, [...(rc.images ?? []), ...(rc.image !== null && rc.image !== m.image ? [rc.image] : [])].filter((i) => i !== m.image), 8);
  if (imgs.changed) {
    m.images = imgs.list;
    changed = true;
  }
  for (const [kind, dirs] of Object.entries(rc.collapsed) as [BaselineKind, string[]][]) {
    for (const d of dirs) {
      if (m.collapsed[kind]?.includes(d)) continue;
      b.collapse(kind, d);
      changed = true;
    }
  }
  for (const [kind, pats] of Object.entries(rc.forbidden ?? {}) as [BaselineKind, string[]][]) {
    for (const p of pats) if (b.forbid(kind, p).added) changed = true;
  }
  for (const t of rc.removed ?? []) {
    const it = b.get(t.kind, t.key);
    if (it !== undefined && it.key === t.key && it.firstSeen <= t.at && b.removeItem(t.kind, t.key)) changed = true;
  }
  // items first, while the state is still this node's (a learning node takes them all)
  const [accepted, rejected, itemsChanged] = mergeItems(b, rc);
  const unconfirmed = unsettled(b, rc);
  if (mergeState(b, rc, now) || unconfirmed.length > 0) changed = true;
  if (itemsChanged || changed) b.metaDirty = true;
  return { changed: changed || itemsChanged, accepted, rejected, ahead: false, unconfirmed };
}

/** a node's first baseline of a workload container, taken from the cluster (a replica scheduled here) */
export function fromCluster(
  identity: { workloadId: string; namespace: string | null; workloadKind: string; workloadName: string },
  rc: ClusterContainer,
  now: number,
): Baseline {
  const b = new Baseline({
    ...identity,
    container: rc.name,
    image: rc.image,
    ...(rc.images?.length ? { images: [...rc.images] } : {}),
    version: rc.version,
    state: rc.state,
    createdAt: now,
    learningSince: Number.isFinite(rc.learningSince) ? rc.learningSince : now,
    lastNewItemAt: rc.lastNewItemAt > 0 ? rc.lastNewItemAt : now,
    stableSince: rc.stableSince,
    lockedBy: rc.lockedBy,
    unstableReason: rc.unstableReason,
    ...(rc.decidedAt !== undefined ? { decidedAt: rc.decidedAt } : {}),
    collapsed: structuredClone(rc.collapsed),
  });
  for (const [kind, pats] of Object.entries(rc.forbidden ?? {}) as [BaselineKind, string[]][]) for (const p of pats) b.forbid(kind, p);
  for (const kind of BASELINE_KINDS) for (const c of rc.items[kind] ?? []) b.putItem(kind, itemOf(c));
  b.metaDirty = true;
  return b;
}
