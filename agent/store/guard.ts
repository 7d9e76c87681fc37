// Watches the database file while the agent runs. SQLite keeps writing to the file it
// opened even after it was deleted (`rm -rf` of the data dir) or replaced by another
// file: everything would seem fine until the next start found an empty database. So
// once a second the path is compared with the file the connection has open; when it
// is gone or is another file:
//
//   1. it is reported at once: an error log line, an `agent-database-missing`
//      self-alert, `habitwatch_database_events_total{event}`, and the store is failing
//      (/readyz 503, commits wait and are retried: nothing is acknowledged meanwhile);
//   2. the open database is copied (SQLite's online backup, so everything committed is
//      in it) into the data dir, recreated if needed; a file that replaced ours is set
//      aside as `habitwatch.db.replaced-<time>`, never deleted;
//   3. the copy is moved into place, the stores continue on a connection to it, the
//      marker names it again, and the agent is ready — without a restart.
import { mkdirSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import type { Logger } from '../../collector/log.ts';
import type { Metrics } from '../metrics.ts';
import type { SelfAlerts } from '../self-alerts.ts';
import type { Timer } from '../timer.ts';
import { realTimer } from '../timer.ts';
import { connect, type Db } from './db.ts';
import type { StoreHealth } from './health.ts';
import { writeMarker, type Marker } from './identity.ts';

export interface GuardDeps {
  db: Db;
  dataDir: string;
  file: string;
  identity: Marker;
  log: Logger;
  health: StoreHealth;
  self?: SelfAlerts;
  metrics?: Metrics;
  timer?: Timer;
  intervalMs?: number;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export class DbGuard {
  private dev: number;
  private ino: number;
  private busy = false;
  /** a copy made, the old connection closed, not yet in place: finish it on the next check */
  private pending: string | undefined;
  private cancel: (() => void) | undefined;
  private readonly timer: Timer;

  constructor(private d: GuardDeps) {
    const st = statSync(d.file);
    this.dev = st.dev;
    this.ino = st.ino;
    this.timer = d.timer ?? realTimer;
  }

  start(): void {
    this.cancel = this.timer.every(this.d.intervalMs ?? 1000, () => void this.check());
  }

  stop(): void {
    this.cancel?.();
  }

  /** one look at the file; restores it when it is gone or another file */
  async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.pending !== undefined) return this.putInPlace(this.pending, statOrNull(this.d.file));
      const st = statOrNull(this.d.file);
      if (st && st.dev === this.dev && st.ino === this.ino) return;
      await this.restore(st);
    } catch (e) {
      // stays failing (not ready, commits waiting); the next check tries again
      this.d.log.error('restoring the database failed; trying again', { file: this.d.file, err: String(e) });
      this.d.health.failed('database', e, { selfAlert: false });
    } finally {
      this.busy = false;
    }
  }

  private async restore(st: Stats | null): Promise<void> {
    const { db, file, log } = this.d;
    const event = st ? 'replaced' : 'missing';
    const detail = st
      ? `database file ${file} was replaced by another file while the agent ran`
      : `database file ${file} disappeared while the agent ran (its data dir removed?)`;
    log.error(`${detail}; restoring it from the open database`, { file });
    this.d.metrics?.databaseEvents.inc({ event });
    // raised before the store is suspended: it is committed into the open database, so
    // the copy below carries it
    this.d.self?.raise('database-missing', `${detail}; restored from the open database`);
    this.d.health.failed('database', new Error(detail), { selfAlert: false });
    db.suspend(`${detail}: restoring it`);
    mkdirSync(this.d.dataDir, { recursive: true, mode: 0o700 });
    const copy = `${file}.restore-${process.pid}`;
    rmSync(copy, { force: true });
    try {
      await db.backupTo(copy);
    } catch (e) {
      rmSync(copy, { force: true });
      throw e;
    }
    // from here the copy is the database: the old connection goes (its WAL is in the copy)
    db.closeConnection();
    this.pending = copy;
    this.putInPlace(copy, statOrNull(file));
  }

  private putInPlace(copy: string, st: Stats | null): void {
    const { db, file } = this.d;
    if (st && !(st.dev === this.dev && st.ino === this.ino)) {
      // never delete what someone put there: set it aside
      const aside = `${file}.replaced-${new Date(this.timer.now()).toISOString().replace(/[:.]/g, '-')}`;
      renameSync(file, aside);
      for (const ext of ['-wal', '-shm']) if (statOrNull(file + ext)) renameSync(file + ext, aside + ext);
      this.d.log.warn('the file that replaced the database was set aside', { file: aside });
    }
    renameSync(copy, file);
    this.pending = undefined;
    db.swap(connect(file));
    const now = statSync(file);
    this.dev = now.dev;
    this.ino = now.ino;
    writeMarker(this.d.dataDir, this.d.identity);
    db.available();
    this.d.metrics?.databaseEvents.inc({ event: 'restored' });
    this.d.health.ok('database');
    this.d.log.warn('database restored in place; carrying on', { file });
  }
}
