// The compiled CLI: `npm run build` output as bin/habitwatch.js runs it. The other
// tests spawn the CLI from the TypeScript sources (test/support/cli.mjs); this one
// builds dist/ into a scratch tree (test/support/dist.ts; the worktree's dist/ is left
// alone) and runs it:
// help, a replay judged on two worker threads (the worker is a plain dist/ file),
// no transpiler loaded, source maps and run-time assets in place.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../support/env.ts';
import { tempDir } from '../support/agent-proc.ts';
import { buildCompiledTree, type CompiledTree } from '../support/dist.ts';
import { REPLAY_SOURCES } from '../../agent/cli/replay.ts';
import { sources } from '../../collector/sources/index.ts';

const run = promisify(execFile);
const FIXTURE = join(REPO, 'test/fixtures/replay/web-attack.jsonl');

// fails the process on any module resolved from tsx or esbuild (dev-only packages)
const NO_TRANSPILER = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { const r = await next(s, c); if (/node_modules\\\\/(tsx|esbuild|@esbuild)\\\\//.test(r.url)) throw new Error("dev-only module loaded: " + r.url); return r; }'));`,
)}`;

// writes every module resolved to stderr, one `module URL` line each
const MODULE_LOG = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("module " + r.url + "\\\\n"); return r; }'));`,
)}`;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('bin/habitwatch.js runs the compiled dist/', function () {
  this.timeout(180000);
  let tmp: CompiledTree;
  let bin: string;
  const cli = (args: string[]) => run(process.execPath, ['--import', NO_TRANSPILER, bin, ...args], { cwd: tmp.dir, maxBuffer: 16 << 20 });

  before(async () => {
    tmp = await buildCompiledTree();
    bin = tmp.bin;
  });
  after(() => tmp?.cleanup());

  it('emits JavaScript only, with relative imports rewritten to .js and a source map per module', () => {
    const js = files(join(tmp.dir, 'dist')).filter((f) => f.endsWith('.js'));
    assert.ok(js.length > 50, `only ${js.length} modules built`);
    for (const f of js) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /(?:from\s*|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/, `${f} imports a .ts file`);
      assert.ok(existsSync(f + '.map'), `${f} has no source map`);
    }
    const map = JSON.parse(readFileSync(join(tmp.dir, 'dist/agent/cli/main.js.map'), 'utf8')) as { sources: string[] };
    assert.ok(map.sources.some((s) => s.endsWith('agent/cli/main.ts')));
    assert.ok(existsSync(join(tmp.dir, 'dist/collector/sources/bpftrace/habitwatch.bt')), 'the bpftrace program is next to its module');
    assert.ok(existsSync(join(tmp.dir, 'dist/agent/replay/worker.js')), 'the replay worker is a plain file');
  });

  it('(the guard against dev-only modules catches tsx)', async () => {
    const r = await run(process.execPath, ['--import', NO_TRANSPILER, '--input-type=module', '-e', 'await import("tsx/esm/api")'], { cwd: REPO }).catch((e: { stderr: string }) => e);
    assert.match((r as { stderr: string }).stderr, /dev-only module loaded: .*tsx/);
  });

  it('habitwatch --help, replay --help and baseline list --help', async () => {
    assert.match((await cli(['--help'])).stdout, /^usage: habitwatch <command>/m);
    assert.match((await cli(['replay', '--help'])).stdout, /^usage: habitwatch replay/m);
    assert.match((await cli(['baseline', 'list', '--help'])).stdout, /^usage: habitwatch baseline/m);
  });

  // start-up (bench cli_start_vs_node_ratio) is mostly loading modules: help loads only
  // what prints it — no source, no WebSocket or YAML library, no configuration schema
  it('help commands load a dozen modules at most, none of the sources, ws or yaml', async () => {
    for (const args of [['--help'], ['replay', '--help'], ['baseline', 'list', '--help'], ['alerts', '--help']]) {
      const { stderr } = await run(process.execPath, ['--import', MODULE_LOG, bin, ...args], { cwd: tmp.dir });
      const mods = [...new Set(stderr.split('\n').filter((l) => l.startsWith('module file:')).map((l) => l.slice('module '.length)))];
      assert.ok(mods.length <= 15, `${args.join(' ')} loads ${mods.length} modules:\n${mods.join('\n')}`);
      assert.deepEqual(mods.filter((m) => /\/collector\/sources\/|\/node_modules\/(ws|yaml|ajv|pino)\/|\/agent\/config\/load/.test(m)), [], args.join(' '));
    }
  });

  it('replay --help names the sources of the registry that replay files', () => {
    assert.deepEqual(REPLAY_SOURCES, sources.filter((s) => s.replay).map((s) => s.name));
  });

  it('replays a fixture on two worker threads with the alerts of one', async () => {
    const args = ['replay', '--source', 'events', FIXTURE, '--learn-events', '203', '--json'];
    const one = await cli(args);
    const two = await cli([...args, '--threads', '2']);
    assert.match(two.stderr, /on 2 threads; 8 alerts/);
    const ids = (out: string) => out.trim().split('\n').map((l) => (JSON.parse(l) as { rule: string; count: number }))
      .map((a) => `${a.rule} ${a.count}`).sort();
    assert.equal(ids(one.stdout).length, 8);
    assert.deepEqual(ids(two.stdout), ids(one.stdout));
  });

  it('says how to build when dist/ is missing', async () => {
    const bare = tempDir('hw-nodist-');
    try {
      mkdirSync(join(bare.dir, 'bin'));
      copyFileSync(join(REPO, 'bin', 'habitwatch.js'), join(bare.dir, 'bin', 'habitwatch.js'));
      copyFileSync(join(REPO, 'package.json'), join(bare.dir, 'package.json'));
      const r = await run(process.execPath, [join(bare.dir, 'bin', 'habitwatch.js'), '--help']).catch((e: { code: number; stderr: string }) => e);
      assert.equal((r as { code: number }).code, 1);
      assert.match((r as { stderr: string }).stderr, /dist\/ is missing: run `npm run build`/);
    } finally {
      bare.cleanup();
    }
  });
});
