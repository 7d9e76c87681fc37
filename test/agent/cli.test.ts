// The real CLI (spawned, from the sources) against a running agent: output formats,
// colour only when asked or on a terminal, exit codes scripts can rely on, one-line
// errors (never a stack trace), --follow over the live stream, shell completion, and
// the database mode while the agent is stopped.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import { EXIT } from '../../agent/cli/errors.ts';
import { tempDir } from '../support/agent-proc.ts';
import { startApiAgent } from '../support/api-agent.ts';
import { CLI, waitFor } from '../support/env.ts';

const W = 'shop/Deployment/web';
const ADMIN = 'cli-admin-token-0123456789';
const READER = 'cli-reader-token-0123456789';
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('CLI against a running agent', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let input: string;
  let api: string;
  let pid = 100;
  const line = (exe: string, kind = 'exec', extra: object = {}) =>
    JSON.stringify({ time: Date.now(), kind, workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: pid++, ppid: pid++, exe, args: [exe] }, ...extra }) + '\n';

  const cli = async (args: string[], env: Record<string, string> = {}): Promise<Result> => {
    try {
      const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, HABITWATCH_API: api, HABITWATCH_TOKEN: ADMIN, NO_COLOR: '', ...env } });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };
  /** a failure: the expected code and exactly one line on stderr, no stack trace */
  const fails = (r: Result, code: number, msg: RegExp): void => {
    assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], msg);
    assert.doesNotMatch(r.stderr, /\n\s+at |\.ts:\d+:\d+/);
  };

  before(async () => {
    tmp = tempDir('hw-cli-');
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, line('/usr/bin/web') + line('/usr/bin/web', 'listen', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }));
    agent = await startApiAgent(join(tmp.dir, 'data'), input, [
      { name: 'admin', token: ADMIN, role: 'admin' },
      { name: 'reader', token: READER, role: 'read' },
    ]);
    api = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable' });
    appendFileSync(input, line('/usr/bin/curl'));
    await waitFor(() => agent.alerts.list({ workload: W }).length > 0, { what: 'an alert' });
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('--output table|json|yaml|name', async () => {
    const table = await cli(['baseline', 'list']);
    assert.match(table.stdout, /^WORKLOAD\s+CONTAINER\s+STATE/);
    assert.match(table.stdout, /shop\/Deployment\/web\s+app\s+stable\s+1\s+exec:1 listen:1/);
    const json = JSON.parse((await cli(['baseline', 'list', '-o', 'json'])).stdout) as { workloads: { id: string }[] };
    assert.equal(json.workloads[0].id, W);
    assert.deepEqual(parseYaml((await cli(['baseline', 'list', '--output', 'yaml'])).stdout), json);
    assert.equal((await cli(['baseline', 'list', '-o', 'name'])).stdout, `${W}\n`);
    assert.deepEqual(JSON.parse((await cli(['baseline', 'list', '--json'])).stdout), json, '--json is -o json');
    // lists of alerts are JSON lines, for jq and streaming
    const alerts = (await cli(['alerts', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: string });
    assert.equal(alerts[0].rule, 'unexpected-exec');
    const show = await cli(['baseline', 'show', W]);
    assert.match(show.stdout, /exec \(1\)\nITEM\s+COUNT\s+FIRST SEEN\s+LAST SEEN\s+NODES/);
    fails(await cli(['baseline', 'list', '-o', 'xml']), EXIT.usage, /^habitwatch: --output must be one of table, json, yaml, name/);
  });

  it('colour only on a terminal or when asked, never with --color never', async () => {
    const plain = await cli(['alerts']);
    assert.doesNotMatch(plain.stdout, /\x1b\[/, 'not a terminal: no colour');
    const forced = await cli(['alerts', '--color', 'always']);
    assert.match(forced.stdout, /\x1b\[31mhigh\x1b\[0m/, 'severity in colour');
    assert.doesNotMatch((await cli(['alerts', '--color', 'never'])).stdout, /\x1b\[/);
    assert.doesNotMatch((await cli(['alerts', '--color', 'always', '-o', 'json'])).stdout, /\x1b\[/, 'never in JSON');
  });

  it('exit codes scripts can use, each with one line and no stack trace', async () => {
    fails(await cli(['baseline', 'lsit']), EXIT.usage, /unknown baseline subcommand "lsit"/);
    fails(await cli(['nope']), EXIT.usage, /^habitwatch: unknown command "nope"/);
    fails(await cli(['alerts', '--sevrity', 'high']), EXIT.usage, /Unknown option '--sevrity'/);
    fails(await cli(['baseline', 'show']), EXIT.usage, /WORKLOAD is required/);
    fails(await cli(['baseline', 'list', '--api', 'not a url']), EXIT.usage, /--api: not a URL/);
    fails(await cli(['baseline', 'list', '--api', 'ftp://127.0.0.1:1']), EXIT.usage, /--api: must be http/);
    fails(await cli(['baseline', 'list', '--api', 'http://127.0.0.1:1']), EXIT.unreachable, /cannot reach the agent at http:\/\/127\.0\.0\.1:1 \(connection refused\)/);
    fails(await cli(['baseline', 'list', '--token', 'wrong-token-0123456789']), EXIT.denied, /401 invalid bearer token/);
    fails(await cli(['baseline', 'lock', W], { HABITWATCH_TOKEN: READER }), EXIT.denied, /403 reader may not patch/);
    fails(await cli(['baseline', 'show', 'no/Deployment/such']), EXIT.notFound, /404 no baseline for workload no\/Deployment\/such/);
    fails(await cli(['alerts', 'show', '00000000-0000-0000-0000-000000000000']), EXIT.notFound, /404 alert .* not found/);
    fails(await cli(['alerts', 'show', 'not-an-id']), EXIT.refused, /400 alert id must be a UUID/);
    fails(await cli(['baseline', 'show', 'a/../b']), EXIT.refused, /400 path traversal segment/);
    fails(await cli(['baseline', 'approve', W, '--kind', 'exec', '**']), EXIT.refused, /400 exec item "\*\*": "\*\*" \(any depth\) is wider than anything a baseline learns/);
    fails(await cli(['baseline', 'approve', W, '--kind', 'exec']), EXIT.usage, /at least one ITEM is required/);
    fails(await cli(['baseline', 'import', join(tmp.dir, 'missing.yaml')]), EXIT.usage, /missing\.yaml: cannot read \(ENOENT\)/);
    const found = await cli(['alerts', '--exit-code']);
    assert.equal(found.code, EXIT.found, 'alerts --exit-code: 1 when there are alerts');
    assert.equal((await cli(['alerts', '--exit-code', '--severity', 'critical'])).code, EXIT.ok);
  });

  it('alerts show, ack and resolve; audit', async () => {
    const a = agent.alerts.list({ workload: W })[0];
    const show = await cli(['alerts', 'show', a.id]);
    assert.match(show.stdout, /unexpected-exec\s+open/);
    assert.match(show.stdout, /evidence exe=\/usr\/bin\/curl/);
    assert.match((await cli(['alerts', 'ack', a.id, '--note', 'looking'])).stdout, /acknowledged/);
    assert.match((await cli(['alerts', '--status', 'acknowledged'])).stdout, /acknowledged/);
    assert.match((await cli(['alerts', 'reopen', a.id])).stdout, /open/);
    assert.match((await cli(['audit'])).stdout, /admin\s+token\s+\S+\s+alert-status/);
  });

  it('--follow prints new alerts from the live stream until interrupted', async () => {
    const child = spawn(process.execPath, [CLI, 'alerts', '--follow', '--since', '1s', '-o', 'json'], { env: { ...process.env, HABITWATCH_API: api, HABITWATCH_TOKEN: ADMIN } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await waitFor(() => agent.metrics.delivery.streamClients.get().then((m) => (m.values[0]?.value ?? 0) > 0), { what: 'the stream client connected' });
      appendFileSync(input, line('/usr/bin/nmap'));
      const got = await waitFor(() => out.split('\n').find((l) => l.includes('/usr/bin/nmap')), { what: 'the followed alert' });
      assert.equal((JSON.parse(got) as { rule: string }).rule, 'unexpected-exec');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, 'Ctrl-C ends --follow cleanly');
  });

  it('incidents --follow prints an incident again when it grows, from the live stream', async () => {
    const child = spawn(process.execPath, [CLI, 'incidents', '--follow', '-o', 'json'], { env: { ...process.env, HABITWATCH_API: api, HABITWATCH_TOKEN: ADMIN } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; alerts: number; workload: { id: string } });
    try {
      const before = await waitFor(() => lines().find((i) => i.workload.id === W), { what: 'the current incident listed' });
      // (the previous test's stream client may not be gone yet: a new alert per attempt
      // until one reaches this client)
      let n = 0;
      const grown = await waitFor(
        () => {
          const g = lines().find((i) => i.id === before.id && i.alerts > before.alerts);
          if (!g) appendFileSync(input, line(`/usr/bin/socat${n++}`));
          return g;
        },
        { intervalMs: 500, what: 'the incident printed again, grown' },
      );
      assert.equal(grown.workload.id, W);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, 'Ctrl-C ends --follow cleanly');
  });

  it('shell completion: scripts, commands, flags, values and workload ids from the agent', async () => {
    for (const sh of ['bash', 'zsh', 'fish']) assert.match((await cli(['completion', sh])).stdout, /__complete/);
    const complete = async (...words: string[]) => (await cli(['__complete', ...words])).stdout.trim().split('\n');
    assert.deepEqual(await complete('ba'), ['baseline', ':4']);
    assert.deepEqual(await complete('baseline', 'fo'), ['forbid', ':4']);
    assert.deepEqual(await complete('baseline', 'approve', W, '--kind', 'file_'), ['file_write', 'file_open', ':4']);
    assert.ok((await complete('alerts', '--sev')).includes('--severity'));
    assert.deepEqual(await complete('baseline', 'show', '--api', api, '--token', ADMIN, 'shop/'), [W, ':4']);
    assert.deepEqual(await complete('baseline', 'import', ''), [':0'], 'files for import');
    fails(await cli(['completion', 'tcsh']), EXIT.usage, /usage: habitwatch completion bash\|zsh\|fish/);
  });

  it('--db works on the database while the agent is stopped (as <user>@local, audited)', async () => {
    const data = join(tmp.dir, 'stopped');
    const other = await startAgent(buildConfig({ dataDir: data, api: { enabled: false }, sources: { enabled: [] } }), { log: silentLogger });
    await other.stop();
    const list = await cli(['baseline', 'list', '--db', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /no baselines yet/);
    fails(await cli(['baseline', 'list', '--db', join(tmp.dir, 'nowhere')]), EXIT.usage, /--db: database .* does not exist/);
  });
});
