// The audit trail: every change a person made through the API or the CLI — who,
// what, when, from where — appended, never updated, readable through the API.
import type { Db } from './db.ts';
import { Where } from './where.ts';

export interface Actor {
  name: string;
  /** how they authenticated: token, kubernetes, anonymous, local (CLI on the database) */
  via: string;
  /** the client's address ('' for in-process calls) */
  remote: string;
}

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  via: string | null;
  remote: string | null;
  action: string;
  workload: string | null;
  baseline: string | null;
  detail: unknown;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  actor?: string;
  workload?: string;
  action?: string;
  limit?: number;
  /** entries older than this sequence number (the previous page's last) */
  beforeSeq?: number;
}

interface Row {
  seq: number;
  time: number;
  actor: string;
  via: string | null;
  remote: string | null;
  action: string;
  workload_id: string | null;
  baseline_key: string | null;
  detail: string | null;
}

export class AuditStore {
  private insert;

  constructor(private db: Db) {
    this.insert = db.prepare(
      'INSERT INTO audit_trail (time, actor, via, remote, action, workload_id, baseline_key, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  append(actor: Actor, action: string, target: { workload: string | null; baseline: string | null }, detail: unknown, now: number): number {
    const r = this.insert.run(now, actor.name, actor.via, actor.remote, action, target.workload, target.baseline, JSON.stringify(detail ?? null));
    return Number(r.lastInsertRowid);
  }

  /** newest first */
  list(q: AuditQuery = {}): AuditEntry[] {
    const w = new Where()
      .add('time >= @since', 'since', q.since)
      .add('time < @until', 'until', q.until)
      .add('actor = @actor', 'actor', q.actor)
      .add('workload_id = @workload', 'workload', q.workload)
      .add('action = @action', 'action', q.action)
      .add('seq < @before', 'before', q.beforeSeq);
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = this.db.prepare(`SELECT * FROM audit_trail ${w} ORDER BY seq DESC LIMIT ${limit}`).all(w.params) as Row[];
    return rows.map((r) => ({
      seq: r.seq,
      time: new Date(r.time).toISOString(),
      actor: r.actor,
      via: r.via,
      remote: r.remote,
      action: r.action,
      workload: r.workload_id,
      baseline: r.baseline_key,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }
}
