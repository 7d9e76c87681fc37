// The database's identity: a random id made when the database is created, kept in the
// database (table meta) and in a marker file next to it (`habitwatch.id` in the data
// dir). At start they are compared, so that a database that went missing (deleted, a
// volume not mounted but its marker is) or was replaced by another one is reported —
// an error in the log, an `agent-database-missing` self-alert, a metric — and never
// silently recreated over the state the data dir says it had. While running, the guard
// (store/guard.ts) watches the file itself.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.ts';

export const MARKER_FILE = 'habitwatch.id';

export interface Marker {
  id: string;
  /** ISO time the database was created */
  created: string;
}

/** what a start found, before opening the database */
export interface Found {
  /** the database file existed */
  existed: boolean;
  /** its write-ahead log existed (a database file removed without its WAL says it had state) */
  wal: boolean;
  marker: Marker | undefined;
}

export function lookBeforeOpen(dataDir: string, dbFile: string): Found {
  return { existed: existsSync(dbFile), wal: existsSync(`${dbFile}-wal`), marker: readMarker(dataDir) };
}

export function readMarker(dataDir: string): Marker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dataDir, MARKER_FILE), 'utf8')) as Partial<Marker>;
    return typeof m.id === 'string' && typeof m.created === 'string' ? { id: m.id, created: m.created } : undefined;
  } catch {
    return undefined;
  }
}

/** written whole or not at all (a temporary file renamed into place), mode 0600 */
export function writeMarker(dataDir: string, m: Marker): void {
  const file = join(dataDir, MARKER_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(m) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** the database's own identity, made on first use */
export function databaseIdentity(db: Db, now: number): Marker {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?');
  const id = (get.get('id') as { value: string } | undefined)?.value;
  const created = (get.get('created') as { value: string } | undefined)?.value;
  if (id !== undefined && created !== undefined) return { id, created };
  const m: Marker = { id: randomUUID(), created: new Date(now).toISOString() };
  const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    put.run('id', m.id);
    put.run('created', m.created);
  })();
  return m;
}

export interface IdentityVerdict {
  identity: Marker;
  /** what is wrong, in a sentence for the log and the self-alert; undefined: nothing */
  problem?: string;
  /** for the metric */
  event: 'created' | 'opened' | 'missing' | 'replaced';
}

/**
 * Compare what the data dir says (marker, WAL) with the database just opened, and make
 * the marker name this database from now on.
 */
export function verifyIdentity(db: Db, dataDir: string, dbFile: string, found: Found, now: number): IdentityVerdict {
  const identity = databaseIdentity(db, now);
  let v: IdentityVerdict;
  if (!found.existed && found.marker) {
    v = {
      identity,
      event: 'missing',
      problem: `database ${dbFile} was missing: this data dir held database ${found.marker.id} (created ${found.marker.created}); started a new, empty one (${identity.id}) — its alerts, baselines and source positions are not in it`,
    };
  } else if (!found.existed && found.wal) {
    v = { identity, event: 'missing', problem: `database ${dbFile} was missing but its write-ahead log was there; started a new, empty one (${identity.id})` };
  } else if (found.existed && found.marker && found.marker.id !== identity.id) {
    v = {
      identity,
      event: 'replaced',
      problem: `database ${dbFile} was replaced: this data dir held database ${found.marker.id} (created ${found.marker.created}), the file now is database ${identity.id} (created ${identity.created}); using it`,
    };
  } else v = { identity, event: found.existed ? 'opened' : 'created' };
  if (found.marker?.id !== identity.id) writeMarker(dataDir, identity);
  return v;
}
