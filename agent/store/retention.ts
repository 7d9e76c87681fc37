// Retention: alerts, incidents, audit rows and idle baselines are kept for a maximum
// age and up to a maximum count, and pruned incrementally — a few hundred rows per
// table per step, each step one short transaction per table, steps a second apart
// (back to back, 20 ms apart, while there is a backlog) — never one huge DELETE that
// would block the event loop. Oldest first (alerts and incidents by when the agent last
// stored them — not their events' time, so an old capture read today is kept and
// delivered — and over the count least recently seen first; audit rows by sequence,
// baselines by when they were last active); a
// baseline locked by a person, or in memory with changes not saved yet, is never pruned. Alerts and incidents
// pruned by count before their age are deliberately dropped: counted in the metric
// and announced by an agent-alerts-dropped self-alert.
import type { Metrics } from '../metrics.ts';
import type { SelfAlerts } from '../self-alerts.ts';
import type { Db, Stmt } from './db.ts';
import type { StoreHealth } from './health.ts';
import { realTimer, type Timer } from '../timer.ts';

export interface Limit {
  maxAgeMs: number;
  maxCount: number;
}

export interface RetentionConfig {
  alerts: Limit;
  incidents: Limit;
  audit: Limit;
  /** baselines not active (no event, no change) for maxAgeMs are forgotten */
  baselines: Limit;
}

const DAY = 86_400_000;

export const DEFAULT_RETENTION: RetentionConfig = {
  alerts: { maxAgeMs: 30 * DAY, maxCount: 1_000_000 },
  incidents: { maxAgeMs: 30 * DAY, maxCount: 100_000 },
  audit: { maxAgeMs: 365 * DAY, maxCount: 1_000_000 },
  baselines: { maxAgeMs: 30 * DAY, maxCount: 100_000 },
};

/** rows deleted per table per step */
const BATCH = 500;
/** baselines are bigger (items, versions): fewer per step */
const BASELINE_BATCH = 50;
const BACKLOG_MS = 20;

export interface RetentionDeps {
  db: Db;
  cfg: RetentionConfig;
  /**
   * let go of a baseline about to be pruned: false when it is in memory with unsaved
   * changes (in use: not pruned), else true (not in memory, or forgotten from it)
   */
  release: (key: string) => boolean;
  health?: StoreHealth;
  self?: SelfAlerts;
  metrics?: Metrics;
  timer?: Timer;
  intervalMs?: number;
}

/** a table pruned by age of `ageCol` and, over its count, least recent `recentCol` first */
function timeTable(db: Db, table: string, ageCol: string, recentCol: string): { count: Stmt; older: Stmt; oldest: Stmt } {
  return {
    // count(*) reads only the page headers of the smallest index: ~1 ms per million rows
    count: db.prepare(`SELECT count(*) AS n FROM ${table}`),
    older: db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${ageCol} < ? ORDER BY ${ageCol} LIMIT ?)`),
    oldest: db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY ${recentCol} LIMIT ?)`),
  };
}

export class Retention {
  private alerts;
  private incidents;
  private auditOlder;
  private auditSpan;
  private auditBelow;
  private idle;
  private leastActive;
  private baselineCount;
  private dropBaseline: Stmt[];
  private cancel: (() => void) | undefined;
  private stopped = false;
  private readonly timer: Timer;

  constructor(private d: RetentionDeps) {
    const db = d.db;
    this.timer = d.timer ?? realTimer;
    // aged by when the agent last stored them (an old capture replayed today is not
    // pruned before it is delivered); over the count, the least recently seen go first
    this.alerts = timeTable(db, 'alerts', 'stored_at', 'last_seen');
    this.incidents = timeTable(db, 'incidents', 'stored_at', 'last_seen');
    this.auditOlder = db.prepare('DELETE FROM audit_trail WHERE seq IN (SELECT seq FROM audit_trail WHERE time < ? ORDER BY time LIMIT ?)');
    this.auditSpan = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM audit_trail');
    this.auditBelow = db.prepare('DELETE FROM audit_trail WHERE seq < ? AND seq < ?');
    this.idle = db.prepare("SELECT key FROM baselines WHERE last_active < ? AND state != 'locked' ORDER BY last_active LIMIT ?");
    this.leastActive = db.prepare("SELECT key FROM baselines WHERE state != 'locked' ORDER BY last_active LIMIT ?");
    this.baselineCount = db.prepare('SELECT count(*) AS n FROM baselines');
    this.dropBaseline = [
      db.prepare('DELETE FROM baseline_items WHERE baseline_key = ?'),
      db.prepare('DELETE FROM baseline_versions WHERE baseline_key = ?'),
      db.prepare('DELETE FROM baselines WHERE key = ?'),
    ];
  }

  start(): void {
    const loop = (ms: number): void => {
      if (this.stopped) return;
      this.cancel = this.timer.after(ms, () => {
        let more = false;
        try {
          more = this.step();
          this.d.health?.ok('retention');
        } catch (e) {
          this.d.health?.failed('retention', e);
        }
        loop(more ? BACKLOG_MS : (this.d.intervalMs ?? 1000));
      });
    };
    loop(this.d.intervalMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** One bounded step over every table. True when a table has more to prune. */
  step(): boolean {
    const now = this.timer.now();
    const { cfg } = this.d;
    let more = false;
    more = this.pruneTimed('alerts', this.alerts, cfg.alerts, now) || more;
    more = this.pruneTimed('incidents', this.incidents, cfg.incidents, now) || more;
    more = this.pruneAudit(cfg.audit, now) || more;
    more = this.pruneBaselines(cfg.baselines, now) || more;
    return more;
  }

  private counted(table: string, reason: 'age' | 'count', n: number): void {
    if (n > 0) this.d.metrics?.retentionDeleted.inc({ table, reason }, n);
  }

  private pruneTimed(table: 'alerts' | 'incidents', t: ReturnType<typeof timeTable>, lim: Limit, now: number): boolean {
    const db = this.d.db;
    const aged = db.transaction(() => t.older.run(now - lim.maxAgeMs, BATCH).changes)();
    this.counted(table, 'age', aged);
    const n = (t.count.get() as { n: number } | undefined)?.n ?? 0;
    const excess = Math.min(n - lim.maxCount, BATCH);
    let capped = 0;
    if (excess > 0) capped = db.transaction(() => t.oldest.run(excess).changes)();
    this.counted(table, 'count', capped);
    // younger than maxAge and still deleted: alerts deliberately dropped, announced
    if (capped > 0) this.d.self?.note('alerts-dropped', `${table} pruned by store.retention.${table}.maxCount before their maxAge`, capped);
    return aged === BATCH || n - capped > lim.maxCount;
  }

  private pruneAudit(lim: Limit, now: number): boolean {
    const db = this.d.db;
    const aged = db.transaction(() => this.auditOlder.run(now - lim.maxAgeMs, BATCH).changes)();
    this.counted('audit', 'age', aged);
    // rows are appended with increasing seq and pruned from the oldest: the newest
    // maxCount sequence numbers are what is kept
    const span = this.auditSpan.get() as { lo: number | null; hi: number | null };
    let capped = 0;
    if (span.lo !== null && span.hi !== null && span.hi - span.lo + 1 > lim.maxCount) {
      const keepFrom = span.hi - lim.maxCount + 1;
      capped = db.transaction(() => this.auditBelow.run(keepFrom, span.lo! + BATCH).changes)();
      this.counted('audit', 'count', capped);
    }
    return aged === BATCH || capped === BATCH;
  }

  private pruneBaselines(lim: Limit, now: number): boolean {
    const idle = (this.idle.all(now - lim.maxAgeMs, BASELINE_BATCH) as { key: string }[]).map((r) => r.key);
    const aged = this.drop(idle.filter((k) => this.d.release(k)));
    this.counted('baselines', 'age', aged);
    const n = (this.baselineCount.get() as { n: number } | undefined)?.n ?? 0;
    let capped = 0;
    if (n > lim.maxCount) {
      const over = Math.min(n - lim.maxCount, BASELINE_BATCH);
      capped = this.drop((this.leastActive.all(over) as { key: string }[]).map((r) => r.key).filter((k) => this.d.release(k)));
      this.counted('baselines', 'count', capped);
    }
    // a batch that found only baselines in use is not a backlog to chase
    return (aged > 0 && idle.length === BASELINE_BATCH) || (capped > 0 && n - capped > lim.maxCount);
  }

  private drop(keys: string[]): number {
    if (keys.length === 0) return 0;
    this.d.db.transaction(() => {
      for (const k of keys) for (const s of this.dropBaseline) s.run(k);
    })();
    return keys.length;
  }
}
