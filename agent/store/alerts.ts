// Alerts table: insert new alerts and fold repeats, in one transaction per batch.
// Hooks run inside that transaction, so the outbox row is committed with the alert
// (an alert is never stored without its delivery work, nor delivered unstored), and
// so may the caller's own work (a source's resume offset): all of it or none.
// Writes are idempotent upserts: an input re-read after a crash raises the same alert
// ids again, and a repeat may arrive for an alert retention already pruned.
import type { Alert, AlertUpdate, Severity } from '../../models/alert.ts';
import { severityRank } from '../../models/alert.ts';
import type { IncidentUpdate } from '../../models/incident.ts';
import type { Db } from './db.ts';
import { Where } from './where.ts';
import { IncidentStore } from './incidents.ts';

export type CommitHook = (update: AlertUpdate) => void;

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertQuery {
  /** epoch ms; alerts whose last occurrence is at or after it */
  since?: number;
  /** epoch ms; alerts whose first occurrence is before it */
  until?: number;
  workload?: string;
  namespace?: string;
  /** minimum severity */
  severity?: Severity;
  rule?: string;
  status?: AlertStatus;
  limit?: number;
  /** continue after this alert of a previous page (order: time, then id, newest first) */
  after?: { time: number; id: string };
}

/** An alert as the API shows it: the emitted alert plus its triage status. */
export type StoredAlert = Alert & {
  status: AlertStatus;
  statusChange?: { by: string; at: string; note?: string };
};

interface Row {
  body: string;
  time: number;
  status: AlertStatus;
  status_by: string | null;
  status_at: number | null;
  status_note: string | null;
}

function fromRow(r: Row): StoredAlert {
  const a = JSON.parse(r.body) as StoredAlert;
  a.status = r.status;
  if (r.status_by !== null && r.status_at !== null) {
    a.statusChange = { by: r.status_by, at: new Date(r.status_at).toISOString(), ...(r.status_note ? { note: r.status_note } : {}) };
  }
  return a;
}

/**
 * The baseline container an alert belongs to, read from its dedup key
 * (`rule|workloadId#container|…`, models/engine.ts): the alert's own container field
 * is null when only a container id was known.
 */
export function containerOfAlert(a: Alert): string {
  const prefix = `${a.rule}|${a.workload.id}#`;
  if (a.dedupKey.startsWith(prefix)) {
    const end = a.dedupKey.indexOf('|', prefix.length);
    return a.dedupKey.slice(prefix.length, end < 0 ? undefined : end);
  }
  return a.workload.container ?? 'main';
}

const COLS = 'body, time, status, status_by, status_at, status_note';

export class AlertStore {
  private upsert;
  private hooks: CommitHook[] = [];
  /** incidents are written in the alerts' commit transaction */
  readonly incidents: IncidentStore;

  /** `now`: the wall clock a stored row is aged by (store.retention) */
  constructor(
    private db: Db,
    private now: () => number = Date.now,
  ) {
    this.incidents = new IncidentStore(db, now);
    // the stored row keeps the higher count (a re-read after a crash counts from 1 again);
    // severity too: a fan-out finding takes the highest severity of what it folded
    this.upsert = db.prepare(
      `INSERT INTO alerts (id, time, last_seen, rule, severity, severity_rank, workload_id, namespace, dedup_key, count, body, incident_id, stored_at)
       VALUES (@id, @time, @lastSeen, @rule, @severity, @rank, @workload, @namespace, @dedupKey, @count, @body, @incident, @storedAt)
       ON CONFLICT(id) DO UPDATE SET
         stored_at = excluded.stored_at,
         last_seen = max(last_seen, excluded.last_seen),
         incident_id = coalesce(excluded.incident_id, incident_id),
         severity = CASE WHEN excluded.count >= count THEN excluded.severity ELSE severity END,
         severity_rank = CASE WHEN excluded.count >= count THEN excluded.severity_rank ELSE severity_rank END,
         body = CASE WHEN excluded.count >= count THEN excluded.body ELSE body END,
         count = max(count, excluded.count)`,
    );
  }

  /** run inside the commit transaction for every update (e.g. outbox enqueue) */
  onCommit(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  /**
   * Store the alert updates, the incident updates they made and run the hooks, in one
   * transaction; `within`, when given, runs in the same transaction (a source's offset:
   * stored only with its alerts). Throws when the store fails; then none of it happened.
   */
  commit(updates: AlertUpdate[], incidents: readonly IncidentUpdate[] = [], within?: () => void): void {
    if (updates.length === 0 && incidents.length === 0) {
      within?.();
      return;
    }
    const storedAt = this.now();
    this.db.transaction(() => {
      for (const u of updates) {
        const a = u.alert;
        const row = {
          id: a.id,
          time: Date.parse(a.time),
          lastSeen: Date.parse(a.lastSeen),
          rule: a.rule,
          severity: a.severity,
          rank: severityRank(a.severity),
          workload: a.workload.id,
          namespace: a.workload.namespace,
          dedupKey: a.dedupKey,
          count: a.count,
          body: JSON.stringify(a),
          incident: a.incident ?? null,
          storedAt,
        };
        this.upsert.run(row);
        for (const h of this.hooks) h(u);
      }
      this.incidents.write(incidents);
      within?.();
    })();
  }

  /** the alerts of an incident, oldest first */
  ofIncident(id: string, limit = 1000): StoredAlert[] {
    return (this.db.prepare(`SELECT ${COLS} FROM alerts WHERE incident_id = ? ORDER BY time, id LIMIT ?`).all(id, limit) as Row[]).map(fromRow);
  }

  get(id: string): StoredAlert | undefined {
    const r = this.db.prepare(`SELECT ${COLS} FROM alerts WHERE id = ?`).get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** newest first (time, then id: a stable order for cursor pages) */
  list(q: AlertQuery = {}): StoredAlert[] {
    const w = new Where()
      .add('last_seen >= @since', 'since', q.since)
      .add('time < @until', 'until', q.until)
      .add('workload_id = @workload', 'workload', q.workload || undefined)
      .add('namespace = @namespace', 'namespace', q.namespace)
      .add('severity_rank >= @rank', 'rank', q.severity ? severityRank(q.severity) : undefined)
      .add('rule = @rule', 'rule', q.rule || undefined)
      .add('status = @status', 'status', q.status);
    if (q.after) w.raw('(time < @afterTime OR (time = @afterTime AND id < @afterId))', { afterTime: q.after.time, afterId: q.after.id });
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 10000);
    const sql = `SELECT ${COLS} FROM alerts ${w} ORDER BY time DESC, id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(w.params) as Row[]).map(fromRow);
  }

  /** Set an alert's triage status; false when there is no such alert. */
  setStatus(id: string, status: AlertStatus, by: string, at: number, note?: string): boolean {
    const r = this.db
      .prepare('UPDATE alerts SET status = ?, status_by = ?, status_at = ?, status_note = ? WHERE id = ?')
      .run(status, by, at, note ?? null, id);
    return r.changes > 0;
  }

  /** open or acknowledged alerts of one baseline (workload + container), newest first */
  unresolved(workloadId: string, container: string | null, limit = 1000): StoredAlert[] {
    return (
      this.db
        .prepare(`SELECT ${COLS} FROM alerts WHERE workload_id = ? AND status != 'resolved' ORDER BY time DESC LIMIT ?`)
        .all(workloadId, limit) as Row[]
    )
      .map(fromRow)
      .filter((a) => container === null || containerOfAlert(a) === container);
  }

  /**
   * unresolved alerts (within cooldown) to restore dedup state after a restart: the
   * `limit` most recently seen, returned oldest first
   */
  openSince(since: number, limit: number): Alert[] {
    const rows = this.db
      .prepare("SELECT body FROM (SELECT body, last_seen FROM alerts WHERE last_seen >= ? AND status != 'resolved' ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen")
      .all(since, limit) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Alert);
  }

  /** how many alerts are stored (count(*) reads only index page headers: cheap) */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  }
}
