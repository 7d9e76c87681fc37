// Alerts table: insert new alerts and fold repeats, in one transaction per batch.
// Hooks run inside that transaction, so the outbox row is committed with the alert
// (an alert is never stored without its delivery work, nor delivered unstored).
import type { Alert, AlertUpdate, Severity } from '../../models/alert.ts';
import { severityRank } from '../../models/alert.ts';
import type { Db } from './db.ts';

export type CommitHook = (update: AlertUpdate) => void;

export interface AlertQuery {
  /** epoch ms; alerts whose last occurrence is at or after it */
  since?: number;
  workload?: string;
  severity?: Severity;
  rule?: string;
  limit?: number;
  /** seq-like cursor: alerts stored after this rowid */
  afterRowid?: number;
}

export class AlertStore {
  private insert;
  private update;
  private hooks: CommitHook[] = [];

  constructor(private db: Db) {
    this.insert = db.prepare(
      `INSERT INTO alerts (id, time, last_seen, rule, severity, severity_rank, workload_id, namespace, dedup_key, count, body)
       VALUES (@id, @time, @lastSeen, @rule, @severity, @rank, @workload, @namespace, @dedupKey, @count, @body)`,
    );
    // severity too: a fan-out finding takes the highest severity of what it folded
    this.update = db.prepare(`UPDATE alerts SET last_seen = @lastSeen, count = @count, severity = @severity, severity_rank = @rank, body = @body WHERE id = @id`);
  }

  /** run inside the commit transaction for every update (e.g. outbox enqueue) */
  onCommit(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  commit(updates: AlertUpdate[]): void {
    if (updates.length === 0) return;
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
        };
        if (u.isNew) this.insert.run(row);
        else this.update.run(row);
        for (const h of this.hooks) h(u);
      }
    })();
  }

  get(id: string): Alert | undefined {
    const r = this.db.prepare('SELECT body FROM alerts WHERE id = ?').get(id) as { body: string } | undefined;
    return r ? (JSON.parse(r.body) as Alert) : undefined;
  }

  list(q: AlertQuery = {}): Alert[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.since !== undefined) {
      where.push('last_seen >= @since');
      params.since = q.since;
    }
    if (q.workload) {
      where.push('workload_id = @workload');
      params.workload = q.workload;
    }
    if (q.severity) {
      where.push('severity_rank >= @rank');
      params.rank = severityRank(q.severity);
    }
    if (q.rule) {
      where.push('rule = @rule');
      params.rule = q.rule;
    }
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 10000);
    const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(params) as { body: string }[]).map((r) => JSON.parse(r.body) as Alert);
  }

  /**
   * open alerts (within cooldown) to restore dedup state after a restart: the `limit`
   * most recently seen, returned oldest first
   */
  openSince(since: number, limit: number): Alert[] {
    const rows = this.db
      .prepare('SELECT body FROM (SELECT body, last_seen FROM alerts WHERE last_seen >= ? ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen')
      .all(since, limit) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Alert);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  }
}
