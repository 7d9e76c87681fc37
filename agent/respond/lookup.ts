// Finding baselines by workload id and summarising them, for the responder API.
import type { Baseline, BaselineMeta, BaselineSnapshot, LearningConfig } from '../../models/baseline/baseline.ts';
import type { BaselineKind, Item } from '../../models/baseline/items.ts';
import type { Profiler } from '../../models/baseline/profiler.ts';
import { stableEta } from '../../models/baseline/learning.ts';
import { HttpError } from '../api/errors.ts';

export interface ContainerSummary {
  container: string;
  state: string;
  version: number;
  image: string | null;
  items: Partial<Record<BaselineKind, number>>;
  learningSince: string;
  stableSince: string | null;
  /** when it becomes stable if nothing new arrives (learning states only) */
  stableEta: string | null;
  lockedBy: string | null;
  unstableReason: string | null;
  /** patterns forbidden, per kind */
  forbidden: Partial<Record<BaselineKind, number>>;
}

export interface WorkloadSummary {
  id: string;
  namespace: string | null;
  kind: string;
  name: string;
  containers: ContainerSummary[];
}

export type ShownBaseline = BaselineSnapshot & { summary: ContainerSummary };

export const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** stored baselines listed without reading their items (agent/store/baselines.ts summaries) */
export interface StoredSummaries {
  summaries(): { key: string; meta: BaselineMeta; sizes: Partial<Record<BaselineKind, number>> }[];
}

export class Lookup {
  constructor(
    private profiler: Profiler,
    private learning: LearningConfig,
    /** the store: baselines not in memory are listed from it (the profiler loads them on demand) */
    private stored?: StoredSummaries,
  ) {}

  /** the baselines of a workload (one per container, stored or in memory), 404 when none */
  containersOf(workloadId: string, container?: string): Baseline[] {
    const out: Baseline[] = [];
    for (const b of this.profiler.ofWorkload(workloadId)) {
      if (container === undefined || b.meta.container === container) out.push(b);
    }
    if (out.length === 0) throw new HttpError(404, `no baseline for workload ${workloadId}${container !== undefined ? ` container ${container}` : ''}`);
    return out.sort((a, b) => (a.meta.container < b.meta.container ? -1 : 1));
  }

  /** exactly one baseline: 400 naming the containers when the workload has several */
  one(workloadId: string, container?: string): Baseline {
    const bs = this.containersOf(workloadId, container);
    if (bs.length > 1) throw new HttpError(400, `workload ${workloadId} has ${bs.length} containers (${bs.map((b) => b.meta.container).join(', ')}): name one with container=`);
    return bs[0];
  }

  list(filter: { namespace?: string; state?: string } = {}): WorkloadSummary[] {
    const byId = new Map<string, WorkloadSummary>();
    const add = (m: BaselineMeta, summary: () => ContainerSummary): void => {
      if (filter.namespace !== undefined && m.namespace !== filter.namespace) return;
      if (filter.state !== undefined && m.state !== filter.state) return;
      let w = byId.get(m.workloadId);
      if (!w) byId.set(m.workloadId, (w = { id: m.workloadId, namespace: m.namespace, kind: m.workloadKind, name: m.workloadName, containers: [] }));
      w.containers.push(summary());
    };
    // in memory first (it may hold changes not flushed yet), then the rest of the store
    const seen = new Set<string>();
    for (const b of this.profiler.baselines.values()) {
      seen.add(b.key);
      add(b.meta, () => this.summary(b));
    }
    for (const s of this.stored?.summaries() ?? []) if (!seen.has(s.key)) add(s.meta, () => this.summaryOf(s.meta, s.sizes));
    for (const w of byId.values()) w.containers.sort((a, b) => (a.container < b.container ? -1 : 1));
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  summary(b: Baseline): ContainerSummary {
    const items: Partial<Record<BaselineKind, number>> = {};
    for (const [k, v] of b.items) if (v.size > 0) items[k] = v.size;
    return this.summaryOf(b.meta, items);
  }

  summaryOf(m: BaselineMeta, items: Partial<Record<BaselineKind, number>>): ContainerSummary {
    const forbidden: Partial<Record<BaselineKind, number>> = {};
    for (const [k, v] of Object.entries(m.forbidden ?? {}) as [BaselineKind, string[]][]) forbidden[k] = v.length;
    return {
      container: m.container,
      state: m.state,
      version: m.version,
      image: m.image,
      items,
      learningSince: iso(m.learningSince)!,
      stableSince: iso(m.stableSince),
      stableEta: iso(stableEta({ meta: m }, this.learning)),
      lockedBy: m.lockedBy,
      unstableReason: m.unstableReason,
      forbidden,
    };
  }

  /** what a workload normally does: items by kind (optionally one kind, or only generalised patterns) */
  show(workloadId: string, o: { container?: string; kind?: BaselineKind; patterns?: boolean } = {}): ShownBaseline[] {
    return this.containersOf(workloadId, o.container).map((b) => {
      const s = b.snapshot();
      if (o.kind) s.items = { [o.kind]: s.items[o.kind] ?? [] };
      if (o.patterns) {
        for (const k of Object.keys(s.items) as BaselineKind[]) s.items[k] = (s.items[k] as Item[]).filter((i) => i.key.includes('*'));
      }
      return { ...s, summary: this.summary(b) };
    });
  }
}
