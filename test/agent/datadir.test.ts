// The data directory: private files, and an unusable dataDir is one clear line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { DataDirError, prepareDataDir } from '../../agent/store/datadir.ts';
import { openDatabase } from '../../agent/store/db.ts';
import { startAgent } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import { tempDir } from '../support/agent-proc.ts';
import { CLI, isRoot } from '../support/env.ts';
import { execFileSync } from 'node:child_process';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/** run `habitwatch agent` with this dataDir; it must fail within seconds */
async function agentWith(dir: string, dataDir: string, opts: { uid?: number; gid?: number } = {}): Promise<{ code: number; stderr: string; ms: number }> {
  const cfg = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(cfg, stringify({ dataDir, api: { enabled: false }, sources: { enabled: [] } }));
  chmodSync(cfg, 0o644);
  const t0 = Date.now();
  return promisify(execFile)(process.execPath, [CLI, 'agent', '--config', cfg], { timeout: 30_000, ...opts }).then(
    () => ({ code: 0, stderr: '', ms: Date.now() - t0 }),
    (e: { code: number; stderr: string; killed?: boolean }) => ({ code: e.killed ? -1 : e.code, stderr: e.stderr, ms: Date.now() - t0 }),
  );
}

function oneLine(r: { code: number; stderr: string; ms: number }, re: RegExp): void {
  assert.notEqual(r.code, -1, 'the agent hung');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got:\n${r.stderr}`);
  assert.match(r.stderr.trim(), re);
  assert.doesNotMatch(r.stderr, /\n\s+at |\.ts:\d+/, 'no stack trace');
}

describe('data directory', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('hw-datadir-')));
  afterEach(() => tmp.cleanup());

  it('creates missing directories 0700; the database is created 0600', () => {
    const dir = join(tmp.dir, 'a', 'b', 'data');
    const r = prepareDataDir(dir);
    assert.equal(mode(join(tmp.dir, 'a')), '700');
    assert.equal(mode(dir), '700');
    assert.deepEqual(r.warnings, []);
    assert.ok(!existsSync(r.db), 'the store looks at the directory before the database exists');
    openDatabase(r.db).close();
    assert.equal(mode(r.db), '600');
  });

  it("tightens its own directory and database when they are open to others, never a shared directory's mode", () => {
    const own = join(tmp.dir, 'own');
    mkdirSync(own, { mode: 0o755 });
    chmodSync(own, 0o755);
    writeFileSync(join(own, 'habitwatch.db'), '');
    chmodSync(join(own, 'habitwatch.db'), 0o644);
    writeFileSync(join(own, 'habitwatch.db-wal'), '');
    chmodSync(join(own, 'habitwatch.db-wal'), 0o644);
    prepareDataDir(own);
    assert.equal(mode(own), '700');
    assert.equal(mode(join(own, 'habitwatch.db')), '600');
    assert.equal(mode(join(own, 'habitwatch.db-wal')), '600');
    const shared = join(tmp.dir, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'someone-elses-file'), '');
    chmodSync(shared, 0o755);
    const r = prepareDataDir(shared);
    assert.equal(mode(shared), '755');
    assert.match(r.warnings.join(), /accessible to other users \(mode 755\)/);
  });

  it('every file the running agent writes is 0600, in a 0700 directory (database, WAL, shared memory, token)', async () => {
    const dataDir = join(tmp.dir, 'data');
    const agent = await startAgent(buildConfig({ dataDir, api: { listen: '127.0.0.1:0' }, sources: { enabled: [] } }), { log: silentLogger });
    try {
      // a write, so that the WAL and shared-memory files exist
      agent.db.exec('CREATE TABLE IF NOT EXISTS hygiene_probe (x); INSERT INTO hygiene_probe VALUES (1)');
    } finally {
      await agent.stop();
    }
    assert.equal(mode(dataDir), '700');
    const files = readdirSync(dataDir);
    assert.ok(files.includes('habitwatch.db'), files.join());
    for (const f of files) assert.equal(mode(join(dataDir, f)), '600', `${f} is ${mode(join(dataDir, f))}`);
  });

  it('throws one DataDirError line for a file, a path under /proc, a read-only directory', function () {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => prepareDataDir(file), (e: Error) => e instanceof DataDirError && /^dataDir .*a-file: is not a directory$/.test(e.message));
    assert.throws(() => prepareDataDir(join(file, 'sub')), /cannot create it: a part of the path is a file \(ENOTDIR\)/);
    const t0 = Date.now();
    assert.throws(() => prepareDataDir('/proc/forbidden'), /^DataDirError: dataDir \/proc\/forbidden: cannot create it/);
    assert.throws(() => prepareDataDir('/proc/forbidden/deeper/still'), DataDirError);
    assert.throws(() => prepareDataDir('/proc/self'), /is on proc, which cannot hold a database|cannot write/);
    assert.ok(Date.now() - t0 < 2000, 'fast');
    if (!isRoot()) return;
    const ro = join(tmp.dir, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
    try {
      assert.throws(() => prepareDataDir(ro), /^DataDirError: dataDir .*ro: cannot write to it: read-only file system \(EROFS\)$/);
    } finally {
      execFileSync('umount', [ro]);
    }
  });

  it('habitwatch agent fails fast with one line and status 2 (no stack trace, no hang)', async () => {
    oneLine(await agentWith(tmp.dir, '/proc/forbidden'), /^habitwatch: dataDir \/proc\/forbidden: cannot create it: /);
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    oneLine(await agentWith(tmp.dir, file), /^habitwatch: dataDir .*a-file: is not a directory$/);
    if (isRoot()) {
      // a directory this user may not write: run the agent as nobody
      const locked = join(tmp.dir, 'root-only');
      mkdirSync(locked, { mode: 0o755 });
      chmodSync(tmp.dir, 0o755);
      const r = await agentWith(tmp.dir, join(locked, 'data'), { uid: 65534, gid: 65534 });
      oneLine(r, /^habitwatch: dataDir .*root-only\/data: cannot create it: permission denied \(EACCES\)$/);
      assert.ok(!existsSync(join(locked, 'data')));
    }
  });
});
