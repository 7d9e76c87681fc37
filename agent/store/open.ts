// The agent's database: opened knowing what the data dir held before (identity.ts),
// its identity checked once delivery is wired (a problem is a self-alert, which must
// reach the sinks), then watched while running (guard.ts).
import { join } from 'node:path';
import type { Logger } from '../../collector/log.ts';
import type { Metrics } from '../metrics.ts';
import type { SelfAlerts } from '../self-alerts.ts';
import { openDatabase, type Db } from './db.ts';
import { DbGuard } from './guard.ts';
import type { StoreHealth } from './health.ts';
import { lookBeforeOpen, verifyIdentity, type Found } from './identity.ts';

export const DB_FILE = 'habitwatch.db';

export interface OpenedStore {
  db: Db;
  file: string;
  dataDir: string;
  found: Found;
}

export function openStore(dataDir: string): OpenedStore {
  const file = join(dataDir, DB_FILE);
  const found = lookBeforeOpen(dataDir, file);
  return { db: openDatabase(file), file, dataDir, found };
}

/** check the identity (reporting a missing or replaced database) and start watching the file */
export function superviseStore(
  s: OpenedStore,
  d: { log: Logger; now: () => number; health: StoreHealth; self: SelfAlerts; metrics: Metrics; intervalMs?: number },
): DbGuard {
  const v = verifyIdentity(s.db, s.dataDir, s.file, s.found, d.now());
  d.metrics.databaseEvents.inc({ event: v.event });
  if (v.problem !== undefined) {
    d.log.error(v.problem, { file: s.file });
    d.self.raise('database-missing', v.problem);
  } else d.log.info(v.event === 'created' ? 'new database' : 'database opened', { file: s.file, id: v.identity.id });
  const guard = new DbGuard({ db: s.db, dataDir: s.dataDir, file: s.file, identity: v.identity, log: d.log, health: d.health, self: d.self, metrics: d.metrics, intervalMs: d.intervalMs });
  guard.start();
  return guard;
}
