// The profiler: finds (or creates) the baseline of an event's workload container,
// maps the event to its item(s), learns or compares. Pure: time is an argument.
import type { RuntimeEvent } from '../../collector/event.ts';
import { Baseline, baselineKey, type LearningConfig } from './baseline.ts';
import { flatString, WILDCARD } from './generalize.ts';
import { Generalizer } from './names.ts';
import { singleKey, type BaselineKind } from './items.ts';
import { lineageExe } from './lineage.ts';

import { newImage, tick } from './learning.ts';
import { adoptInto, type Unconfirmed } from './merge.ts';
import { RecentMap } from '../recent.ts';
import type { BaselineSnapshot } from './baseline.ts';

const NONE: string[] = [];

export interface Observation {
  baseline: Baseline;
  kind: BaselineKind;
  /** canonical item keys of the event (one, or several for a syscall set) */
  items: string[];
  /** the subset of items not in the baseline before this event */
  novel: string[];
  /** exec of a known binary from a parent it was never seen with */
  lineageNovel: boolean;
  /** the subset of items a person forbade for this baseline (never learned, always alert) */
  forbidden: string[];
}

/** the image an event's container runs, by digest when known */
function imageOf(w: NonNullable<RuntimeEvent['workload']>, c: RuntimeEvent['container']): string | null {
  return (c !== undefined ? (c.imageDigest ?? c.image) : undefined) ?? w.image ?? null;
}

/**
 * Where baselines not in memory are kept (the agent's store). Reads are synchronous and
 * indexed: a workload's baseline is loaded when its first event is judged, not at start.
 */
export interface BaselineSource {
  /** the stored baseline with this key, if any */
  load(key: string): BaselineSnapshot | undefined;
  /** the keys of a workload's stored baselines */
  keysOf(workloadId: string): string[];
}

export interface ProfilerOptions {
  /** baselines kept in memory; beyond it the least recently used saved ones are forgotten (default: no bound) */
  maxInMemory?: number;
  /** a saved baseline no event used for this long is forgotten too (its workload left the node); default: never */
  idleMs?: number;
  source?: BaselineSource;
}

/** a baseline with changes the store has not written yet must stay in memory */
export function unsaved(b: Baseline): boolean {
  return b.metaDirty || b.archived.length > 0 || b.removed.size > 0 || b.dirty.size > 0;
}

export class Profiler {
  /** the baselines in memory, bounded by maxInMemory (see evict) */
  readonly baselines: RecentMap<string, Baseline>;
  /** frozen: nothing is learned, every baseline compares (replay after the learning cut) */
  frozen = false;
  /** baselines read from the source, and forgotten from memory (saved, not lost): over the cap, or idle */
  readonly stats = { loaded: 0, evicted: 0, idle: 0 };
  private readonly source: BaselineSource | undefined;
  private readonly idleMs: number;
  private idleScanAt = -Infinity;

  /** memoised generalisation (bounded): the item keys of this profiler's events */
  readonly names = new Generalizer();
  // one reusable holder for the single key of a non-syscall event (no array per event)
  private readonly one: string[] = [''];

  constructor(
    public cfg: LearningConfig,
    o: ProfilerOptions = {},
  ) {
    this.baselines = new RecentMap(o.maxInMemory ?? Infinity);
    this.source = o.source;
    this.idleMs = o.idleMs ?? Infinity;
  }

  /** add a baseline, or replace the one with its key (import) */
  load(b: Baseline): void {
    this.baselines.set(b.key, b);
    this.index.get(b.meta.workloadId)?.set(b.meta.container, b);
  }

  /** a baseline by key: in memory, else read from the source and kept in memory */
  get(key: string): Baseline | undefined {
    let b = this.baselines.get(key);
    if (b === undefined && this.source !== undefined) {
      const s = this.source.load(key);
      if (s !== undefined) {
        b = Baseline.fromSnapshot(s);
        this.baselines.set(key, b);
        this.stats.loaded++;
      }
    }
    return b;
  }

  /** every baseline of a workload, stored or in memory (one per container) */
  ofWorkload(workloadId: string): Baseline[] {
    const keys = new Set(this.source?.keysOf(workloadId) ?? []);
    for (const b of this.baselines.values()) if (b.meta.workloadId === workloadId) keys.add(b.key);
    const out: Baseline[] = [];
    for (const k of keys) {
      const b = this.get(k);
      if (b !== undefined) out.push(b);
    }
    return out;
  }

  /**
   * Let go of a baseline (retention is about to delete it from the store): true when it
   * is not in memory or was forgotten, false when it has unsaved changes (in use).
   */
  release(key: string): boolean {
    const b = this.baselines.peek(key);
    if (b === undefined) return true;
    if (unsaved(b)) return false;
    this.baselines.delete(key);
    this.unindex(b);
    return true;
  }

  private unindex(b: Baseline): void {
    const byContainer = this.index.get(b.meta.workloadId);
    if (byContainer?.get(b.meta.container) === b) byContainer.delete(b.meta.container);
    if (byContainer?.size === 0) this.index.delete(b.meta.workloadId);
  }

  /**
   * Forget the least recently used baselines beyond maxInMemory; never one with unsaved
   * changes (call after the store flushed). A forgotten baseline is read again from the
   * source when its workload shows up. Returns how many were forgotten.
   */
  evict(now?: number): number {
    const n = this.baselines.trim(
      (_k, b) => this.unindex(b),
      (_k, b) => unsaved(b),
    );
    this.stats.evicted += n;
    return n + (now !== undefined ? this.evictIdle(now) : 0);
  }

  /**
   * Forget the saved baselines no event used for idleMs: a workload gone from the node
   * leaves memory (it stays in the store and is read again if it comes back). One pass
   * over the baselines at most once a minute (or every quarter of a shorter idleMs).
   */
  private evictIdle(now: number): number {
    if (this.idleMs === Infinity || now - this.idleScanAt < Math.min(this.idleMs / 4, 60_000)) return 0;
    this.idleScanAt = now;
    const idle: Baseline[] = [];
    for (const b of this.baselines.values()) if (now - b.usedAt >= this.idleMs && !unsaved(b)) idle.push(b);
    for (const b of idle) {
      this.baselines.delete(b.key);
      this.unindex(b);
    }
    this.stats.idle += idle.length;
    return idle.length;
  }

  /** workload id → container → baseline: avoids building a key string per event */
  private index = new Map<string, Map<string, Baseline>>();

  baselineFor(ev: RuntimeEvent, now: number): Baseline {
    // each property of the event read once: events of different kinds have different
    // shapes, so every read here is a megamorphic (slow) property load
    const w = ev.workload!;
    const c = ev.container;
    const container = w.container ?? c?.name ?? c?.id ?? 'main';
    let byContainer = this.index.get(w.id);
    let b = byContainer?.get(container);
    if (b === undefined) {
      const image = imageOf(w, c);
      b = this.get(baselineKey(w.id, container));
      if (b === undefined) {
        b = new Baseline({
          workloadId: w.id,
          container,
          namespace: w.namespace ?? null,
          workloadKind: w.kind,
          workloadName: w.name,
          // compared with every event's image: kept flat (see flatString)
          image: image !== null ? flatString(image) : null,
          version: 1,
          state: this.frozen ? 'stable' : 'learning',
          createdAt: now,
          learningSince: now,
          lastNewItemAt: now,
          stableSince: this.frozen ? now : null,
          lockedBy: null,
          unstableReason: null,
          collapsed: {},
          // learned under a name the API has not confirmed: may move (adopt) later
          ...(ev.enrichment === 'partial' ? { provisional: true } : {}),
        });
        this.baselines.set(b.key, b);
      }
      // flat keys: every event's lookup compares its fresh id with them
      if (!byContainer) this.index.set(flatString(w.id), (byContainer = new Map()));
      byContainer.set(flatString(container), b);
    }
    b.usedAt = now;
    if (b.meta.provisional === true && ev.enrichment === 'complete') {
      b.meta.provisional = false;
      b.metaDirty = true;
    }
    // frozen, a baseline that knows its image ignores a different one: skip reading and
    // comparing the event's image (a cache miss per event in a replay)
    if (!this.frozen || b.meta.image === null) {
      const image = imageOf(w, c);
      if (image !== null && b.meta.image !== image) {
        if (b.meta.image === null) {
          b.meta.image = flatString(image);
          b.metaDirty = true;
        } else if (!this.frozen && !(b.meta.images?.includes(image) ?? false)) newImage(b, flatString(image), now);
      }
    }
    return b;
  }

  /** baselines dropped (moved into another) since the last call: the store deletes them */
  private dropped: string[] = [];

  takeDropped(): string[] {
    const d = this.dropped;
    this.dropped = [];
    return d;
  }

  private drop(b: Baseline): void {
    this.baselines.delete(b.key);
    this.unindex(b);
    this.dropped.push(b.key);
  }

  /**
   * A provisional identity the API has since named: what its baseline learned moves to
   * the named workload's baseline (created from it when there is none). Into a learning
   * baseline every item moves; into an enforcing one only what it already knows — the
   * rest is returned, unconfirmed, for the caller to judge as the novelty it would have
   * been had the workload been known. Only provisional baselines move.
   */
  adopt(
    from: { workloadId: string; container: string },
    to: { id: string; namespace?: string; kind: string; name: string; container: string },
    image?: string,
  ): { baseline: Baseline; unconfirmed: Unconfirmed[] } | undefined {
    const src = this.get(baselineKey(from.workloadId, from.container));
    if (src === undefined || src.meta.provisional !== true) return undefined;
    this.drop(src);
    const key = baselineKey(to.id, to.container);
    const existing = this.get(key);
    const identity = { workloadId: to.id, container: to.container, namespace: to.namespace ?? null, workloadKind: to.kind, workloadName: to.name };
    const r = adoptInto(existing, src, identity);
    // in use as much as what moved into it (an idle pass must not take it for a workload gone)
    if (src.usedAt > r.baseline.usedAt) r.baseline.usedAt = src.usedAt;
    // learned before anyone named its image: the API's name for it now holds
    if (image !== undefined && r.baseline.meta.image === null) {
      r.baseline.meta.image = flatString(image);
      r.baseline.metaDirty = true;
    }
    this.load(r.baseline);
    return r;
  }

  observe(ev: RuntimeEvent, now: number): Observation {
    const b = this.baselineFor(ev, now);
    if (this.frozen) return this.judge(b, ev);
    const kind = ev.kind as BaselineKind;
    let raw: readonly string[];
    if (ev.kind === 'syscall') raw = ev.names;
    else {
      this.one[0] = singleKey(ev, this.names);
      raw = this.one;
    }
    const items: string[] = [];
    let novel: string[] = NONE;
    let forbidden: string[] = NONE;
    let lineageNovel = false;
    const ancestors = ev.kind === 'exec' ? ev.process.ancestors : undefined;
    const parentExe = lineageExe(ancestors);
    const parent = parentExe !== undefined ? this.names.path(parentExe) : undefined;
    const immediateExe = ancestors?.[0]?.exe;
    const immediate = immediateExe !== undefined && immediateExe !== parentExe ? this.names.path(immediateExe) : undefined;
    const learning = b.learning();
    const detail =
      ev.kind === 'exec'
        ? { parent, immediate, args: learning ? this.names.args(ev.process.args) : undefined }
        : ev.kind === 'file_write' && learning
          ? { op: ev.flags !== undefined && (ev.op === 'write' || ev.op === 'create') && ev.flags.includes('O_TRUNC') ? 'truncate' : ev.op }
          : undefined;
    for (const r of raw) {
      const key = b.canonical(kind, r);
      items.push(key);
      const o = b.observe(kind, key, now, ev.node, this.cfg, detail);
      if (o.novel) (novel === NONE ? (novel = []) : novel).push(key);
      if (o.forbidden === true) (forbidden === NONE ? (forbidden = []) : forbidden).push(key);
      if (o.lineageNovel) lineageNovel = true;
    }
    if (learning) tick(b, now, this.cfg);
    return { baseline: b, kind, items, novel, lineageNovel, forbidden };
  }

  /**
   * Frozen: compare only. The hot path of replay, so no array grows by push (an
   * empty array's first push allocates room for 17) and the parent of an exec is
   * generalised only when the known item has parents to compare it with.
   */
  private judge(b: Baseline, ev: RuntimeEvent): Observation {
    if (ev.kind === 'syscall') {
      const names = ev.names;
      const items: string[] = new Array<string>(names.length);
      let novel: string[] = NONE;
      let forbidden: string[] = NONE;
      for (let i = 0; i < names.length; i++) {
        const key = b.canonical('syscall', names[i]);
        items[i] = key;
        if (b.get('syscall', key) === undefined) {
          (novel === NONE ? (novel = []) : novel).push(key);
          if (b.forbiddenBy('syscall', key) !== undefined) (forbidden === NONE ? (forbidden = []) : forbidden).push(key);
        }
      }
      return { baseline: b, kind: 'syscall', items, novel, lineageNovel: false, forbidden };
    }
    const kind = ev.kind;
    const key = b.canonical(kind, singleKey(ev, this.names));
    const it = b.get(kind, key);
    if (it === undefined) return { baseline: b, kind, items: [key], novel: [key], lineageNovel: false, forbidden: b.forbiddenBy(kind, key) !== undefined ? [key] : NONE };
    let lineageNovel = false;
    const parents = kind === 'exec' ? it.detail?.parents : undefined;
    if (parents !== undefined) {
      const anc = ev.process.ancestors;
      const parentExe = lineageExe(anc);
      if (parentExe !== undefined && !parents.includes(WILDCARD)) {
        // judged by the lineage (lineage.ts); an immediate parent learned as such is known too
        const immediate = anc![0].exe;
        lineageNovel = !parents.includes(this.names.path(parentExe)) && (immediate === parentExe || !parents.includes(this.names.path(immediate)));
      }
    }
    return { baseline: b, kind, items: [key], novel: NONE, lineageNovel, forbidden: NONE };
  }

  /** advance every baseline's state machine (called periodically, and at end of replay) */
  tickAll(now: number): void {
    if (this.frozen) return;
    for (const b of this.baselines.values()) tick(b, now, this.cfg);
  }

  /** replay: stop learning and judge everything from here on against what was learned */
  freeze(now: number): void {
    this.frozen = true;
    for (const b of this.baselines.values()) {
      if (b.learning()) {
        b.meta.state = 'stable';
        b.meta.stableSince = now;
        b.metaDirty = true;
      }
    }
  }
}
