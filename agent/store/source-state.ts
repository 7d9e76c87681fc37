// Persistent key/value area for sources (e.g. audit log offsets).
import type { SourceState } from '../../collector/sources/types.ts';
import type { Db } from './db.ts';

export function sqliteSourceState(db: Db, prefix: string): SourceState {
  const get = db.prepare('SELECT value FROM source_state WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO source_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  return {
    get: (key) => (get.get(`${prefix}/${key}`) as { value: string } | undefined)?.value,
    set: (key, value) => void set.run(`${prefix}/${key}`, value),
  };
}

export function memorySourceState(): SourceState {
  const m = new Map<string, string>();
  return { get: (k) => m.get(k), set: (k, v) => void m.set(k, v) };
}
