// The responder's operations on baselines and alerts, in one object shared by the HTTP
// API (live agent) and the CLI's --db mode (agent stopped): query (lookup.ts), diff
// (diff.ts), change (mutations.ts), export/import (exchange.ts).
import type { Baseline, LearningConfig } from '../../models/baseline/baseline.ts';
import type { Profiler } from '../../models/baseline/profiler.ts';
import type { AlertStore } from '../store/alerts.ts';
import type { BaselineStore } from '../store/baselines.ts';
import type { Actor, AuditStore } from '../store/audit.ts';
import { Lookup, type ContainerSummary } from './lookup.ts';
import { Differ } from './diff.ts';
import { Mutations } from './mutations.ts';
import type { PodSelectors } from './export/selectors.ts';
import { exportDoc, importDoc, type ExportDoc, type ImportOptions, type ImportResult } from './exchange.ts';

export interface ResponderDeps {
  profiler: Profiler;
  learning: LearningConfig;
  store?: BaselineStore;
  alerts?: AlertStore;
  audit?: AuditStore;
  /** the engine's open-alert state (Engine.forget) */
  forget?: (dedupKey: string) => void;
  /** pod labels from the Kubernetes API, for the NetworkPolicy export */
  selectors?: PodSelectors;
  now: () => number;
}

export class Responder {
  readonly lookup: Lookup;
  readonly diff: Differ;
  readonly change: Mutations;

  constructor(private d: ResponderDeps) {
    this.lookup = new Lookup(d.profiler, d.learning, d.store);
    this.diff = new Differ(this.lookup, d.store);
    this.change = new Mutations({ ...d, lookup: this.lookup });
  }

  get alerts(): AlertStore | undefined {
    return this.d.alerts;
  }

  get audit(): AuditStore | undefined {
    return this.d.audit;
  }

  get selectors(): PodSelectors | undefined {
    return this.d.selectors;
  }

  now(): number {
    return this.d.now();
  }

  summary = (b: Baseline): ContainerSummary => this.lookup.summary(b);

  export(workloadId: string, container?: string): ExportDoc {
    return exportDoc(workloadId, this.lookup.containersOf(workloadId, container), this.d.now());
  }

  import(actor: Actor, doc: ExportDoc, o: ImportOptions): ImportResult {
    const { result, changed } = importDoc(this.d.profiler, doc, o);
    const now = this.d.now();
    this.d.store?.flush(changed, now);
    for (const b of changed) {
      this.d.audit?.append(actor, `import-${o.mode}`, { workload: result.workload, baseline: b.key }, { version: b.meta.version, items: b.size, from: doc.workload }, now);
    }
    return result;
  }
}
