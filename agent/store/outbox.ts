// The durable outbox: one row per (sink, alert) delivery still to do. Rows are
// written in the alert's own commit transaction (see AlertStore.onCommit) and
// removed only once the sink acknowledged them or we gave up, so a crash at any
// point redelivers rather than loses. Order per sink is seq order.
import type { Db } from './db.ts';

/** what a row delivers: an alert, or an incident (sinks with `deliver: incidents`) */
export type OutboxSubject = 'alert' | 'incident';

export interface OutboxRow {
  seq: number;
  sink: string;
  /** the id of the alert (or incident) to deliver */
  alertId: string;
  subject: OutboxSubject;
  revision: number;
  update: boolean;
  enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

interface RawRow {
  seq: number;
  sink: string;
  alert_id: string;
  subject: string;
  revision: number;
  is_update: number;
  enqueued_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

const toRow = (r: RawRow): OutboxRow => ({
  seq: r.seq,
  sink: r.sink,
  alertId: r.alert_id,
  subject: r.subject === 'incident' ? 'incident' : 'alert',
  revision: r.revision,
  update: r.is_update === 1,
  enqueuedAt: r.enqueued_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
});

export class Outbox {
  private ins;
  private coalesceStmt;
  private pendingStmt;
  private headStmt;
  private delStmt;
  private deferStmt;
  private depthStmt;
  private oldestStmt;
  private dropOldestStmt;
  private expireStmt;

  constructor(private db: Db) {
    this.ins = db.prepare(
      `INSERT INTO outbox (sink, alert_id, revision, is_update, enqueued_at, next_attempt_at, subject) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.coalesceStmt = db.prepare(
      `UPDATE outbox SET revision = max(revision, ?) WHERE sink = ? AND alert_id = ? AND seq > ? AND attempts = 0`,
    );
    this.pendingStmt = db.prepare(`SELECT 1 FROM outbox WHERE sink = ? AND alert_id = ? LIMIT 1`);
    this.headStmt = db.prepare(`SELECT * FROM outbox WHERE sink = ? ORDER BY seq LIMIT ?`);
    this.delStmt = db.prepare(`DELETE FROM outbox WHERE seq = ?`);
    this.deferStmt = db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?`);
    this.depthStmt = db.prepare(`SELECT count(*) AS n FROM outbox WHERE sink = ?`);
    this.oldestStmt = db.prepare(`SELECT enqueued_at FROM outbox WHERE sink = ? ORDER BY seq LIMIT 1`);
    this.dropOldestStmt = db.prepare(
      `DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE sink = ? ORDER BY seq LIMIT ?) RETURNING alert_id`,
    );
    this.expireStmt = db.prepare(`DELETE FROM outbox WHERE sink = ? AND enqueued_at < ? RETURNING alert_id`);
  }

  enqueue(sink: string, alertId: string, revision: number, update: boolean, now: number, subject: OutboxSubject = 'alert'): void {
    this.ins.run(sink, alertId, revision, update ? 1 : 0, now, now, subject);
  }

  /**
   * Fold a repeat into a row of the same alert that is still waiting (never tried,
   * and after `afterSeq`, i.e. not the batch in flight). True when folded.
   */
  coalesce(sink: string, alertId: string, revision: number, afterSeq: number): boolean {
    return this.coalesceStmt.run(revision, sink, alertId, afterSeq).changes > 0;
  }

  hasPending(sink: string, alertId: string): boolean {
    return this.pendingStmt.get(sink, alertId) !== undefined;
  }

  /** the next rows to deliver for a sink, in order */
  head(sink: string, limit: number): OutboxRow[] {
    return (this.headStmt.all(sink, limit) as RawRow[]).map(toRow);
  }

  remove(seqs: number[]): void {
    this.db.transaction(() => {
      for (const s of seqs) this.delStmt.run(s);
    })();
  }

  defer(seqs: number[], nextAttemptAt: number, error: string): void {
    this.db.transaction(() => {
      for (const s of seqs) this.deferStmt.run(nextAttemptAt, error.slice(0, 500), s);
    })();
  }

  depth(sink: string): number {
    return (this.depthStmt.get(sink) as { n: number }).n;
  }

  oldest(sink: string): number | undefined {
    return (this.oldestStmt.get(sink) as { enqueued_at: number } | undefined)?.enqueued_at;
  }

  /** drop the n oldest rows of a sink; returns their alert ids */
  dropOldest(sink: string, n: number): string[] {
    return (this.dropOldestStmt.all(sink, n) as { alert_id: string }[]).map((r) => r.alert_id);
  }

  /** drop rows queued before `cutoff`; returns their alert ids */
  expire(sink: string, cutoff: number): string[] {
    return (this.expireStmt.all(sink, cutoff) as { alert_id: string }[]).map((r) => r.alert_id);
  }

  /** pending row counts for every sink name present in the table */
  sinks(): Map<string, number> {
    const rows = this.db.prepare('SELECT sink, count(*) AS n FROM outbox GROUP BY sink').all() as { sink: string; n: number }[];
    return new Map(rows.map((r) => [r.sink, r.n]));
  }

  dropSink(sink: string): number {
    return this.db.prepare('DELETE FROM outbox WHERE sink = ?').run(sink).changes;
  }
}
