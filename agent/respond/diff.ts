// What changed: between two versions of a baseline (an image upgrade, a relearn),
// between two workloads (a canary and its stable twin), or over a time range
// ("what is new since Tuesday": the baseline as it stood then against now).
import type { Baseline, BaselineSnapshot } from '../../models/baseline/baseline.ts';
import { BASELINE_KINDS, type BaselineKind } from '../../models/baseline/items.ts';
import type { BaselineStore } from '../store/baselines.ts';
import { HttpError } from '../api/errors.ts';
import { iso, type Lookup } from './lookup.ts';

export interface DiffEntry {
  kind: BaselineKind;
  item: string;
  change: 'added' | 'removed';
}

export interface DiffSide {
  workload: string;
  container: string;
  version: number;
  /** the baseline as it stood at this time (time-range diffs), else null: as stored */
  asOf: string | null;
}

export interface DiffResult {
  from: DiffSide;
  to: DiffSide;
  changes: DiffEntry[];
}

/** items in `b` and not in `a` are added, the reverse removed; kind order, then item order */
export function diffSnapshots(a: BaselineSnapshot, b: BaselineSnapshot): DiffEntry[] {
  const out: DiffEntry[] = [];
  for (const kind of BASELINE_KINDS) {
    const ka = new Set((a.items[kind] ?? []).map((i) => i.key));
    const kb = new Set((b.items[kind] ?? []).map((i) => i.key));
    const added = [...kb].filter((k) => !ka.has(k)).sort();
    const removed = [...ka].filter((k) => !kb.has(k)).sort();
    for (const item of added) out.push({ kind, item, change: 'added' });
    for (const item of removed) out.push({ kind, item, change: 'removed' });
  }
  return out;
}

const side = (s: BaselineSnapshot, asOf: number | null): DiffSide => ({ workload: s.meta.workloadId, container: s.meta.container, version: s.meta.version, asOf: iso(asOf) });

export class Differ {
  constructor(
    private lookup: Lookup,
    private store: BaselineStore | undefined,
  ) {}

  private archived(b: Baseline): { version: number; archivedAt: number; snapshot: BaselineSnapshot }[] {
    return this.store?.versions(b.key) ?? [];
  }

  /** between two versions (default: the previous one → the current one) */
  versions(workloadId: string, container: string | undefined, from?: number, to?: number): DiffResult {
    const b = this.lookup.one(workloadId, container);
    const versions = this.archived(b);
    const snapOf = (v: number): BaselineSnapshot => {
      if (v === b.meta.version) return b.snapshot();
      const found = versions.find((x) => x.version === v);
      if (!found) throw new HttpError(404, `version ${v} of ${b.key} not found (have ${[...versions.map((x) => x.version), b.meta.version].join(', ')})`);
      return found.snapshot;
    };
    const toV = to ?? b.meta.version;
    const fromV = from ?? (versions.length > 0 ? versions[versions.length - 1].version : toV);
    const a = snapOf(fromV);
    const c = snapOf(toV);
    return { from: side(a, null), to: side(c, null), changes: diffSnapshots(a, c) };
  }

  /** between this workload's baseline and another's */
  workloads(workloadId: string, container: string | undefined, other: string, otherContainer: string | undefined): DiffResult {
    const a = this.lookup.one(workloadId, container).snapshot();
    const c = this.lookup.one(other, otherContainer ?? container).snapshot();
    return { from: side(a, null), to: side(c, null), changes: diffSnapshots(a, c) };
  }

  /**
   * The baseline as it stood at `since` against how it stands at `until` (default
   * now). "As it stood at t": the version in force then (the first one archived after
   * t, else the current one), with only the items first seen before t.
   */
  range(workloadId: string, container: string | undefined, since: number, until: number | undefined, now: number): DiffResult {
    if (until !== undefined && until <= since) throw new HttpError(400, 'until must be after since');
    const b = this.lookup.one(workloadId, container);
    const versions = this.archived(b);
    const at = (t: number): BaselineSnapshot => {
      const v = versions.find((x) => x.archivedAt > t);
      const s = v ? v.snapshot : b.snapshot();
      const items: BaselineSnapshot['items'] = {};
      for (const [k, list] of Object.entries(s.items) as [BaselineKind, BaselineSnapshot['items'][BaselineKind]][]) {
        const kept = (list ?? []).filter((i) => i.firstSeen < t);
        if (kept.length > 0) items[k] = kept;
      }
      return { ...s, items };
    };
    const a = at(since);
    const end = until ?? now;
    const c = until === undefined ? b.snapshot() : at(until);
    return { from: side(a, since), to: side(c, until === undefined ? null : end), changes: diffSnapshots(a, c) };
  }
}
