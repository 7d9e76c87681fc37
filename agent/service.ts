// Responder operations on baselines: query, diff, approve, relearn, lock, export.
// Shared by the HTTP API (live agent) and the CLI's --db mode (agent stopped).
// Every mutation is written to the audit trail with who did it.
import { Baseline, type BaselineSnapshot, type LearningConfig } from '../models/baseline/baseline.ts';
import { BASELINE_KINDS, type BaselineKind, type Item } from '../models/baseline/items.ts';
import { lock, relearn, stableEta, unlock } from '../models/baseline/learning.ts';
import type { Profiler } from '../models/baseline/profiler.ts';
import type { AlertStore } from './store/alerts.ts';
import type { BaselineStore } from './store/baselines.ts';
import { HttpError } from './api/server.ts';

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
}

export interface WorkloadSummary {
  id: string;
  namespace: string | null;
  kind: string;
  name: string;
  containers: ContainerSummary[];
}

export interface DiffEntry {
  kind: BaselineKind;
  item: string;
  change: 'added' | 'removed';
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export class BaselineService {
  constructor(
    private profiler: Profiler,
    private store: BaselineStore | undefined,
    private alerts: AlertStore | undefined,
    private learning: LearningConfig,
    private now: () => number,
  ) {}

  private containersOf(workloadId: string, container?: string): Baseline[] {
    const out = [...this.profiler.baselines.values()].filter(
      (b) => b.meta.workloadId === workloadId && (container === undefined || b.meta.container === container),
    );
    if (out.length === 0) throw new HttpError(404, `no baseline for workload ${workloadId}${container ? ` container ${container}` : ''}`);
    return out;
  }

  private one(workloadId: string, container?: string): Baseline {
    const bs = this.containersOf(workloadId, container);
    if (bs.length > 1) throw new HttpError(400, `workload ${workloadId} has ${bs.length} containers (${bs.map((b) => b.meta.container).join(', ')}): name one`);
    return bs[0];
  }

  list(filter: { namespace?: string; state?: string } = {}): WorkloadSummary[] {
    const byId = new Map<string, WorkloadSummary>();
    for (const b of this.profiler.baselines.values()) {
      const m = b.meta;
      if (filter.namespace !== undefined && m.namespace !== filter.namespace) continue;
      if (filter.state !== undefined && m.state !== filter.state) continue;
      let w = byId.get(m.workloadId);
      if (!w) byId.set(m.workloadId, (w = { id: m.workloadId, namespace: m.namespace, kind: m.workloadKind, name: m.workloadName, containers: [] }));
      w.containers.push(this.summary(b));
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private summary(b: Baseline): ContainerSummary {
    const m = b.meta;
    const items: Partial<Record<BaselineKind, number>> = {};
    for (const [k, v] of b.items) if (v.size > 0) items[k] = v.size;
    return {
      container: m.container,
      state: m.state,
      version: m.version,
      image: m.image,
      items,
      learningSince: iso(m.learningSince)!,
      stableSince: iso(m.stableSince),
      stableEta: iso(stableEta(b, this.learning)),
      lockedBy: m.lockedBy,
      unstableReason: m.unstableReason,
    };
  }

  show(workloadId: string, container?: string, kind?: BaselineKind): (BaselineSnapshot & { summary: ContainerSummary })[] {
    return this.containersOf(workloadId, container).map((b) => {
      const s = b.snapshot();
      if (kind) s.items = { [kind]: s.items[kind] ?? [] };
      return { ...s, summary: this.summary(b) };
    });
  }

  /** Items added/removed between two versions (default: previous version → current). */
  diff(workloadId: string, container?: string, from?: number, to?: number): { from: number; to: number; changes: DiffEntry[] } {
    const b = this.one(workloadId, container);
    const versions = this.store?.versions(b.key) ?? [];
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
    const changes: DiffEntry[] = [];
    for (const kind of BASELINE_KINDS) {
      const ka = new Set((a.items[kind] ?? []).map((i) => i.key));
      const kc = new Set((c.items[kind] ?? []).map((i) => i.key));
      for (const k of kc) if (!ka.has(k)) changes.push({ kind, item: k, change: 'added' });
      for (const k of ka) if (!kc.has(k)) changes.push({ kind, item: k, change: 'removed' });
    }
    return { from: fromV, to: toV, changes };
  }

  /**
   * Add items to a baseline: what a responder does with a false positive. Items may
   * be globs (`*` one segment, `**` any depth). With an alert id, its item is used.
   */
  approve(actor: string, req: { workloadId?: string; container?: string; kind?: BaselineKind; items?: string[]; alertId?: string }): { baseline: string; added: string[] } {
    let { workloadId, container, kind, items } = req;
    if (req.alertId) {
      const a = this.alerts?.get(req.alertId);
      if (!a) throw new HttpError(404, `alert ${req.alertId} not found`);
      workloadId = a.workload.id;
      container = a.workload.container ?? undefined;
      kind = a.kind as BaselineKind;
      items = a.kind === 'syscall' ? (a.evidence.syscalls ?? []) : a.evidence.item ? [a.evidence.item] : [];
    }
    if (!workloadId) throw new HttpError(400, 'workload id required');
    if (!kind || !BASELINE_KINDS.includes(kind)) throw new HttpError(400, `kind must be one of ${BASELINE_KINDS.join(', ')}`);
    if (!items || items.length === 0 || !items.every((i) => typeof i === 'string' && i.length > 0)) throw new HttpError(400, 'items: a non-empty list of strings');
    const b = this.one(workloadId, container);
    const now = this.now();
    const added: string[] = [];
    for (const key of items) {
      if (b.has(kind, key)) continue;
      const it: Item = { key, count: 0, firstSeen: now, lastSeen: now, nodes: [], detail: kind === 'exec' ? { parents: ['*'] } : undefined };
      b.putItem(kind, it);
      added.push(key);
    }
    b.metaDirty = true;
    this.persist(actor, 'approve', b, { kind, items: added, alertId: req.alertId });
    return { baseline: b.key, added };
  }

  relearn(actor: string, workloadId: string, container: string | undefined, reset: boolean): ContainerSummary[] {
    return this.containersOf(workloadId, container).map((b) => {
      relearn(b, this.now(), reset);
      this.persist(actor, reset ? 'relearn-reset' : 'relearn', b, null);
      return this.summary(b);
    });
  }

  lock(actor: string, workloadId: string, container: string | undefined, locked: boolean): ContainerSummary[] {
    return this.containersOf(workloadId, container).map((b) => {
      if (locked) lock(b, actor, this.now());
      else unlock(b, this.now());
      this.persist(actor, locked ? 'lock' : 'unlock', b, null);
      return this.summary(b);
    });
  }

  export(workloadId: string): { workload: string; exportedAt: string; baselines: BaselineSnapshot[] } {
    return { workload: workloadId, exportedAt: new Date(this.now()).toISOString(), baselines: this.containersOf(workloadId).map((b) => b.snapshot()) };
  }

  private persist(actor: string, action: string, b: Baseline, detail: unknown): void {
    b.metaDirty = true;
    if (!this.store) return;
    this.store.flush([b], this.now());
    this.store.audit(actor, action, b.key, detail, this.now());
  }
}
