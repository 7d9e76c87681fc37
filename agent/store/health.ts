// Whether the agent can persist. Every store operation that matters (committing a
// batch's alerts and source offsets, flushing baselines, retention, the database file
// itself) reports success or failure here; while one keeps failing the agent is not
// ready (/readyz 503 naming it), `habitwatch_store_healthy` is 0 and an
// `agent-storage-failing` self-alert is raised. Operations are retried by their owners;
// the first success of each clears it.
import type { Logger } from '../../collector/log.ts';
import type { Metrics } from '../metrics.ts';
import type { SelfAlerts } from '../self-alerts.ts';

export type StoreOp = 'commit' | 'flush' | 'retention' | 'database';

const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PERM|NOTADB|CORRUPT|NOMEM|PROTOCOL)/;

/** Raised by the store while it cannot be used (e.g. the database file is being restored). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * An error of the storage itself (disk full, read-only or immutable files, I/O error,
 * a locked or missing database, a closed connection) rather than of the data: worth
 * retrying, as the condition may pass.
 */
export function isStorageError(e: unknown): boolean {
  if (e instanceof StoreUnavailableError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && STORAGE_CODES.test(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /database connection is not open|disk I\/O error|database or disk is full|readonly database|unable to open database/i.test(msg);
}

export class StoreHealth {
  private failing = new Map<StoreOp, { err: string; since: number }>();

  constructor(
    private deps: { log: Logger; now: () => number; metrics?: Metrics; self?: SelfAlerts },
  ) {
    deps.metrics?.storeHealthy.set(1);
  }

  /**
   * An operation failed (it will be retried). `selfAlert: false` when the caller raised a
   * more precise self-alert itself (the guard: agent-database-missing).
   */
  failed(op: StoreOp, e: unknown, o: { selfAlert?: boolean } = {}): void {
    const err = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.deps.metrics?.storeErrors.inc({ op });
    const was = this.failing.size > 0;
    const prev = this.failing.get(op);
    this.failing.set(op, { err, since: prev?.since ?? this.deps.now() });
    if (!prev) this.deps.log.error('store operation failing; retrying, nothing is dropped', { op, err });
    if (!was) {
      this.deps.metrics?.storeHealthy.set(0);
      if (o.selfAlert !== false) this.deps.self?.set('storage-failing', true, `${op}: ${err}`);
    }
  }

  ok(op: StoreOp): void {
    const prev = this.failing.get(op);
    if (!prev) return;
    this.failing.delete(op);
    this.deps.log.info('store operation works again', { op, failingForMs: this.deps.now() - prev.since });
    if (this.failing.size === 0) {
      this.deps.metrics?.storeHealthy.set(1);
      this.deps.self?.set('storage-failing', false, '');
      // the self-alert raised while failing can be stored now
      this.deps.self?.flush();
    }
  }

  /** why the agent cannot persist, for /readyz; undefined when it can */
  problem(): string | undefined {
    if (this.failing.size === 0) return undefined;
    return [...this.failing].map(([op, f]) => `${op} failing since ${new Date(f.since).toISOString()}: ${f.err}`).join('; ');
  }

  get healthy(): boolean {
    return this.failing.size === 0;
  }
}
