// A missing or replaced database is noticed (at start: the data dir's marker; while
// running: the guard watching the file), reported, and — while running — restored in
// place from the open database without losing what it held.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, superviseStore } from '../../../agent/store/open.ts';
import { readMarker } from '../../../agent/store/identity.ts';
import { StoreHealth } from '../../../agent/store/health.ts';
import { SelfAlerts } from '../../../agent/self-alerts.ts';
import { AlertStore } from '../../../agent/store/alerts.ts';
import { createMetrics } from '../../../agent/metrics.ts';
import { silentLogger } from '../../../collector/log.ts';
import type { DbGuard } from '../../../agent/store/guard.ts';
import { isNew, makeAlert } from '../sinks/helpers.ts';

function start(dataDir: string) {
  const store = openStore(dataDir);
  const alerts = new AlertStore(store.db);
  const metrics = createMetrics({ defaultMetrics: false });
  const self = new SelfAlerts({ who: { node: 'n', pid: 1, ppid: null, exe: '/usr/bin/node', uid: 0, cwd: '/' }, now: Date.now, cooldownMs: 600_000, log: silentLogger, commit: (u) => alerts.commit(u), metrics });
  const health = new StoreHealth({ log: silentLogger, now: Date.now, metrics, self });
  // intervalMs: the test calls check() itself
  const guard: DbGuard = superviseStore(store, { log: silentLogger, now: Date.now, health, self, metrics, intervalMs: 3_600_000 });
  const selfRules = (): string[] =>
    (store.db.prepare("SELECT rule FROM alerts WHERE rule LIKE 'agent-%'").all() as { rule: string }[]).map((r) => r.rule);
  return { store, alerts, health, guard, selfRules, close: () => (guard.stop(), store.db.close()) };
}

const count = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM alerts WHERE rule NOT LIKE 'agent-%'").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('database identity and the guard', () => {
  let root: string;
  let dataDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hw-identity-'));
    dataDir = join(root, 'data');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a first start creates the database and its marker, silently; a restart finds them matching', () => {
    let a = start(dataDir);
    const marker = readMarker(dataDir);
    assert.ok(marker);
    assert.deepEqual(a.selfRules(), []);
    a.close();
    a = start(dataDir);
    assert.deepEqual(readMarker(dataDir), marker);
    assert.deepEqual(a.selfRules(), []);
    a.close();
  });

  it('a restart that finds the database gone (its marker still there) says so instead of silently starting empty', () => {
    let a = start(dataDir);
    const old = readMarker(dataDir)!;
    a.alerts.commit([isNew(makeAlert())]);
    a.close();
    for (const f of readdirSync(dataDir)) if (f.startsWith('habitwatch.db')) rmSync(join(dataDir, f));
    a = start(dataDir);
    assert.deepEqual(a.selfRules(), ['agent-database-missing']);
    const body = JSON.parse((a.store.db.prepare("SELECT body FROM alerts WHERE rule = 'agent-database-missing'").get() as { body: string }).body) as { evidence: { detail: string } };
    assert.match(body.evidence.detail, new RegExp(`held database ${old.id}.*new, empty one`));
    assert.notEqual(readMarker(dataDir)!.id, old.id, 'the marker names the new database from now on');
    a.close();
  });

  it('a restart that finds another database in its place says so', () => {
    let a = start(dataDir);
    a.close();
    const other = join(root, 'other');
    start(other).close();
    rmSync(join(dataDir, 'habitwatch.db'));
    renameSync(join(other, 'habitwatch.db'), join(dataDir, 'habitwatch.db'));
    a = start(dataDir);
    assert.deepEqual(a.selfRules(), ['agent-database-missing']);
    a.close();
  });

  it('the data dir removed while running: restored in place from the open database, nothing lost, ready again', async () => {
    const a = start(dataDir);
    for (let i = 0; i < 20; i++) a.alerts.commit([isNew(makeAlert())]);
    rmSync(dataDir, { recursive: true, force: true });
    // SQLite writes on into the deleted file: the guard notices and restores
    a.alerts.commit([isNew(makeAlert())]);
    await a.guard.check();
    assert.equal(a.health.healthy, true);
    assert.ok(existsSync(join(dataDir, 'habitwatch.db')));
    assert.ok(readMarker(dataDir));
    // writes after the restore land in the restored file
    a.alerts.commit([isNew(makeAlert())]);
    assert.equal(count(join(dataDir, 'habitwatch.db')), 22);
    assert.deepEqual(a.selfRules(), ['agent-database-missing']);
    a.close();
  });

  it('the file replaced while running: the stranger is set aside (not deleted), ours restored in place', async () => {
    const a = start(dataDir);
    for (let i = 0; i < 5; i++) a.alerts.commit([isNew(makeAlert())]);
    const other = join(root, 'other');
    start(other).close();
    const inode = statSync(join(dataDir, 'habitwatch.db')).ino;
    renameSync(join(other, 'habitwatch.db'), join(dataDir, 'habitwatch.db'));
    await a.guard.check();
    assert.notEqual(statSync(join(dataDir, 'habitwatch.db')).ino, inode);
    a.alerts.commit([isNew(makeAlert())]);
    assert.equal(count(join(dataDir, 'habitwatch.db')), 6);
    assert.equal(readdirSync(dataDir).filter((f) => /^habitwatch\.db\.replaced-[^-]/.test(f) && !/-(wal|shm)$/.test(f)).length, 1);
    a.close();
  });
});
