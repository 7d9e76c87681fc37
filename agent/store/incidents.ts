// Incidents table: upserted in the alerts' own commit transaction (AlertStore.commit),
// so an incident is never stored without its alerts, nor its delivery work without it.
import type { Incident, IncidentUpdate } from '../../models/incident.ts';
import { severityRank, type Severity } from '../../models/alert.ts';
import type { Db } from './db.ts';
import { Where } from './where.ts';
import type { AlertStatus } from './alerts.ts';

export type IncidentHook = (update: IncidentUpdate) => void;

export interface IncidentQuery {
  /** epoch ms; incidents whose latest activity is at or after it */
  since?: number;
  /** epoch ms; incidents that started before it */
  until?: number;
  workload?: string;
  namespace?: string;
  /** incidents with an alert of this rule */
  rule?: string;
  /** minimum severity */
  severity?: Severity;
  /** derived from its alerts' triage (see STATUS) */
  status?: AlertStatus;
  limit?: number;
  /** continue after this incident of a previous page (order: time, then id, newest first) */
  after?: { time: number; id: string };
}

/**
 * An incident's status follows its alerts' triage: open while any alert is open,
 * acknowledged while none is open but one is acknowledged, resolved once all are.
 */
const STATUS = `CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = incidents.id AND a.status = 'open') THEN 'open'
  WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = incidents.id AND a.status = 'acknowledged') THEN 'acknowledged'
  ELSE 'resolved' END`;

/** an incident as the API shows it: with its status */
export type StoredIncident = Incident & { status: AlertStatus };

const withStatus = (r: { body: string; status: AlertStatus }): StoredIncident => ({ ...(JSON.parse(r.body) as Incident), status: r.status });

export class IncidentStore {
  private upsert;
  private hooks: IncidentHook[] = [];

  constructor(
    private db: Db,
    private now: () => number = Date.now,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO incidents (id, time, last_seen, severity, severity_rank, workload_id, namespace, scope, alerts, count, body, stored_at)
       VALUES (@id, @time, @lastSeen, @severity, @rank, @workload, @namespace, @scope, @alerts, @count, @body, @storedAt)
       ON CONFLICT (id) DO UPDATE SET stored_at = @storedAt, last_seen = @lastSeen, severity = @severity, severity_rank = @rank, alerts = @alerts, count = @count, body = @body`,
    );
  }

  /** run inside the commit transaction for every incident update (e.g. outbox enqueue) */
  onCommit(hook: IncidentHook): void {
    this.hooks.push(hook);
  }

  /** write updates and run the hooks; the caller holds the transaction */
  write(updates: readonly IncidentUpdate[]): void {
    const storedAt = this.now();
    for (const u of updates) {
      const i = u.incident;
      this.upsert.run({
        id: i.id,
        time: Date.parse(i.time),
        lastSeen: Date.parse(i.lastSeen),
        severity: i.severity,
        rank: severityRank(i.severity),
        workload: i.workload.id,
        namespace: i.workload.namespace,
        scope: i.scope,
        alerts: i.alerts,
        count: i.count,
        body: JSON.stringify(i),
        storedAt,
      });
      for (const h of this.hooks) h(u);
    }
  }

  get(id: string): StoredIncident | undefined {
    const r = this.db.prepare(`SELECT body, ${STATUS} AS status FROM incidents WHERE id = ?`).get(id) as { body: string; status: AlertStatus } | undefined;
    return r ? withStatus(r) : undefined;
  }

  /** newest first (time, then id: a stable order for cursor pages) */
  list(q: IncidentQuery = {}): StoredIncident[] {
    const w = new Where()
      .add('last_seen >= @since', 'since', q.since)
      .add('time < @until', 'until', q.until)
      .add('workload_id = @workload', 'workload', q.workload || undefined)
      .add('namespace = @namespace', 'namespace', q.namespace)
      .add("EXISTS (SELECT 1 FROM json_each(body, '$.rules') WHERE value = @rule)", 'rule', q.rule || undefined)
      .add('severity_rank >= @rank', 'rank', q.severity ? severityRank(q.severity) : undefined)
      .add(`(${STATUS}) = @status`, 'status', q.status);
    if (q.after) w.raw('(time < @afterTime OR (time = @afterTime AND id < @afterId))', { afterTime: q.after.time, afterId: q.after.id });
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 10000);
    const sql = `SELECT body, ${STATUS} AS status FROM incidents ${w} ORDER BY time DESC, id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(w.params) as { body: string; status: AlertStatus }[]).map(withStatus);
  }

  /** the `limit` incidents most recently active since `since`, oldest first (to restore grouping after a restart) */
  openSince(since: number, limit = 10_000): Incident[] {
    const rows = this.db.prepare('SELECT body FROM incidents WHERE last_seen >= ? ORDER BY last_seen DESC LIMIT ?').all(since, limit) as { body: string }[];
    return rows.reverse().map((r) => JSON.parse(r.body) as Incident);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n;
  }
}
