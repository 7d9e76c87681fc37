// `npm run test:pack`: the package as a user gets it. `npm pack` (which builds dist/
// through `prepare`), its file list only what a user needs, then installed into an empty
// folder from the tarball — dependencies from npm's local cache (--prefer-offline), so the
// only network is the npm registry and only for what the cache lacks — and used there:
// `npx habitwatch --help`, a replay of a fixture, the library entry and its types.
// better-sqlite3 is compiled on install as for any user, which is why this suite is not
// part of `npm test`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../support/agent-proc.ts';
import { REPO } from '../support/env.ts';

const run = promisify(execFile);
const FIXTURE = join(REPO, 'test/fixtures/replay/web-attack.jsonl');
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund'], { cwd, maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('npm pack → install from the tarball → use', function () {
  this.timeout(20 * 60 * 1000);
  let tmp: ReturnType<typeof tempDir>;
  let tarball: string;
  let files: string[];
  let app: string;

  before(async () => {
    tmp = tempDir('hw-pack-');
    const { stdout } = await npm(['pack', '--json', '--pack-destination', tmp.dir], REPO);
    const info = (JSON.parse(stdout) as { filename: string; files: { path: string }[] }[])[0];
    tarball = join(tmp.dir, info.filename.replace(/^.*\//, ''));
    files = info.files.map((f) => f.path).sort();
    app = join(tmp.dir, 'app');
    await run('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hw-pack-test', version: '1.0.0', private: true, type: 'module' }));
    await npm(['install', '--prefer-offline', tarball], app);
  });
  after(() => tmp?.cleanup());

  it('packs only what a user needs', () => {
    const top = new Set(files.map((f) => f.split('/')[0]));
    assert.deepEqual([...top].sort(), ['LICENSE', 'README.md', 'bin', 'collector', 'dist', 'docs', 'package.json']);
    const bins = Object.values((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin).sort();
    assert.deepEqual(files.filter((f) => f.startsWith('bin/')), bins, 'bin/ holds the package\'s commands only');
    assert.deepEqual(files.filter((f) => f.startsWith('collector/')), ['collector/sources/auditd/habitwatch-aarch64.rules', 'collector/sources/auditd/habitwatch.rules']);
    assert.ok(files.includes('dist/agent/cli/main.js') && files.includes('dist/agent/replay/worker.js') && files.includes('dist/collector/sources/bpftrace/habitwatch.bt'));
    assert.deepEqual(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources');
    // a native program is built for the machine that runs it (the image builds its own)
    assert.deepEqual(files.filter((f) => f.endsWith('/pipe-size')), [], 'no program compiled for the packing machine');
    assert.deepEqual(files.filter((f) => /(^|\/)(test|bench|\.ci)\//.test(f)), []);
  });

  it('installs the runtime dependencies only: no transpiler, no test tools', () => {
    const mods = readdirSync(join(app, 'node_modules'));
    for (const dev of ['tsx', 'esbuild', 'typescript', 'mocha', 'sinon', 'ajv-formats', 'kubernetes-models']) assert.ok(!mods.includes(dev), `${dev} installed`);
    assert.ok(existsSync(join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')), 'better-sqlite3 built');
  });

  it('npx habitwatch --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'habitwatch', '--help'], { cwd: app });
    assert.match(stdout, /^usage: habitwatch <command>/m);
  });

  it('habitwatch replay of a fixture, on two threads too', async () => {
    const args = ['--no-install', 'habitwatch', 'replay', '--source', 'events', FIXTURE, '--learn-events', '203', '--json'];
    for (const extra of [[], ['--threads', '2']]) {
      const { stdout, stderr } = await run('npx', [...args, ...extra], { cwd: app });
      assert.equal(stdout.trim().split('\n').length, 8, stderr);
      assert.match(stderr, /replay: 289 events/);
    }
  });

  it('the library entry and its types', async () => {
    writeFileSync(
      join(app, 'use.ts'),
      `import { replay, type Alert } from 'habitwatch';\nconst r = await replay({ source: 'events', files: [${JSON.stringify(FIXTURE)}], learnEvents: 203 });\nconst a: Alert[] = r.alerts;\nconsole.log(a.length);\n`,
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }));
    await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app });
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import { replay } from 'habitwatch'; const r = await replay({ source: 'events', files: [${JSON.stringify(FIXTURE)}], learnEvents: 203 }); console.log(r.alerts.length);`], { cwd: app });
    assert.equal(stdout.trim(), '8');
  });
});
