// The redaction contract end to end: every secret of the corpus (test/support/secrets.ts),
// fed to a live agent as command lines, ancestors' command lines, DNS names, working
// directories, unknown keys and bad lines, appears in none of its outputs — the database
// file's bytes (with its WAL and shared memory), the logs, the API (alerts, incidents,
// workloads, baselines, exports, audit, metrics), the WebSocket stream (alerts and raw
// events), the body of every sink (webhook in each format, Alertmanager, Slack) — nor in
// `habitwatch replay` output and summary.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startAgentProc, tempDir, TEST_TOKEN } from '../support/agent-proc.ts';
import { CLI, REPO, waitFor } from '../support/env.ts';
import { SECRET_CASES, SECRET_VALUES, shellLine } from '../support/secrets.ts';
import { startReceiver, type Receiver } from '../agent/sinks/helpers.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const workload = (i: number) => ({ id: `secrets/Deployment/case-${i}`, namespace: 'secrets', kind: 'Deployment', name: `case-${i}`, container: 'app' });

/** one alerting event per secret (each its own workload, so none folds into another), plus bad lines carrying them */
function corpus(): { text: string; alerting: number } {
  const lines: string[] = [];
  SECRET_CASES.forEach((c, i) => {
    const process = {
      pid: 1000 + i,
      exe: '/tmp/dropper',
      args: c.args,
      cwd: '/tmp',
      leak: c.secret, // unknown keys at every level must be dropped, not stored
      ancestors: [{ exe: '/bin/sh', pid: 900, args: ['/bin/sh', '-c', shellLine(c.args)], leak: c.secret }, { exe: '/usr/bin/containerd-shim-runc-v2' }],
    };
    lines.push(JSON.stringify({ time: T0 + i, kind: 'exec', process, workload: { ...workload(i), leak: c.secret }, container: { id: `c${i}`, runtime: 'containerd', leak: c.secret }, extra: c.secret }));
    // bad lines that carry the secret: their examples (replay summary, logs) must not leak it
    lines.push(`{"time": 1, "kind": "exec", "oops": "${c.args.join(' ').replaceAll('\\', '/').replaceAll('"', "'").replaceAll('\n', ' ')}"`);
    lines.push(JSON.stringify({ time: 'soon', kind: 'exec', process: { pid: 1, exe: '/x', args: c.args } }));
  });
  SECRET_VALUES.forEach((v, k) => {
    const i = SECRET_CASES.length + k;
    const process = { pid: 5000 + k, exe: '/tmp/dropper', args: ['/tmp/dropper'], cwd: v.field === 'cwd' ? v.value : '/tmp', ancestors: v.field === 'ancestor' ? [{ exe: '/bin/sh', args: ['/bin/sh', '-c', v.value] }] : [] };
    // a connect to a mining-pool port alerts at once, with the DNS name as evidence
    lines.push(JSON.stringify(v.field === 'dns' ? { time: T0 + i, kind: 'connect', process, workload: workload(i), dstAddr: '10.9.9.9', dstPort: 3333, dns: v.value } : { time: T0 + i, kind: 'exec', process, workload: workload(i) }));
  });
  return { text: lines.join('\n') + '\n', alerting: SECRET_CASES.length + SECRET_VALUES.length };
}

const secrets = (): string[] => [...SECRET_CASES.map((c) => c.secret), ...SECRET_VALUES.map((v) => v.secret)];

function leaks(where: string, text: string): string[] {
  return secrets()
    .filter((s) => text.includes(s))
    .map((s) => `${where} leaks ${s} (${SECRET_CASES.find((c) => c.secret === s)?.form ?? SECRET_VALUES.find((v) => v.secret === s)?.form})`);
}

describe('e2e: the redaction contract over every output', function () {
  this.timeout(240_000);
  let tmp: ReturnType<typeof tempDir>;
  let rec: Receiver;
  beforeEach(async () => {
    tmp = tempDir('hw-secrets-');
    rec = await startReceiver();
  });
  afterEach(async () => {
    await rec.close();
    tmp.cleanup();
  });

  it('no secret in the database bytes, logs, API, stream or any sink body', async () => {
    const input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, '');
    const { text, alerting } = corpus();
    const sinks = [
      { type: 'webhook', name: 'wh-native', url: `${rec.url}/native`, format: 'native', sendUpdates: true, hmacSecret: 'hmac-key-1' },
      { type: 'webhook', name: 'wh-cloudevents', url: `${rec.url}/cloudevents`, format: 'cloudevents' },
      { type: 'webhook', name: 'wh-ocsf', url: `${rec.url}/ocsf`, format: 'ocsf' },
      { type: 'alertmanager', name: 'am', url: `${rec.url}/am` },
      { type: 'slack', name: 'chat', url: `${rec.url}/slack` },
    ];
    const a = await startAgentProc(tmp.dir, { log: { level: 'debug' }, sources: { enabled: ['events'], events: { paths: [input], follow: true } }, sinks });
    const stream: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${a.port}/v1/stream?events=true`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    ws.on('message', (d) => stream.push(d.toString()));
    let api = '';
    try {
      await waitFor(() => stream.some((m) => m.includes('"hello"')), { what: 'stream hello' });
      appendFileSync(input, text);
      const allAlerts = async (): Promise<{ id: string; workload: { id: string } }[]> => {
        const out: { id: string; workload: { id: string } }[] = [];
        let cursor: string | undefined;
        do {
          const r = await a.api(`/v1/alerts?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          const body = await r.text();
          api += body;
          const j = JSON.parse(body) as { alerts: { id: string; workload: { id: string } }[]; nextCursor?: string };
          out.push(...j.alerts);
          cursor = j.nextCursor ?? undefined;
        } while (cursor);
        return out;
      };
      const alertsOf = (path: string): number => rec.requests.filter((r) => r.path.startsWith(path)).reduce((n, r) => n + (r.body.match(/"idempotencyKey"|"specversion"|"class_uid"|"alert_id"|:red_circle:|:large_orange_circle:|:large_yellow_circle:|:white_circle:|:large_blue_circle:/g)?.length ?? 0), 0);
      await waitFor(async () => new Set((await allAlerts()).map((x) => x.workload.id)).size >= alerting, { timeoutMs: 120_000, what: `${alerting} alerting workloads` });
      await waitFor(() => ['/native', '/cloudevents', '/ocsf', '/am'].every((p) => alertsOf(p) >= alerting) && rec.requests.some((r) => r.path.startsWith('/slack')), { timeoutMs: 120_000, what: 'every sink delivered every alert' });
      await waitFor(() => stream.filter((m) => m.includes('"type":"alert"')).length >= alerting, { what: 'the stream carried every alert' });
      const alerts = await allAlerts();
      for (const x of alerts.slice(0, 60)) api += await (await a.api(`/v1/alerts/${encodeURIComponent(x.id)}`)).text();
      for (const path of ['/v1/incidents?limit=1000', '/v1/workloads', '/v1/audit?limit=1000', '/metrics']) api += await (await a.api(path)).text();
      for (let i = 0; i < alerting; i++) {
        const id = encodeURIComponent(workload(i).id);
        api += await (await a.api(`/v1/workloads/${id}/baseline`)).text();
        api += await (await a.api(`/v1/workloads/${id}/export`)).text();
      }
      assert.match(api, /<redacted/);
      assert.ok(!api.includes('"leak"'), 'unknown keys of process, workload, container and ancestors are dropped');
    } finally {
      ws.close();
      await a.kill('SIGTERM');
    }
    const dataDir = join(tmp.dir, 'data');
    const files = readdirSync(dataDir);
    assert.ok(files.includes('habitwatch.db'));
    const problems = [
      ...files.flatMap((f) => leaks(`data/${f}`, readFileSync(join(dataDir, f)).toString('latin1'))),
      ...leaks('the logs', a.logs()),
      ...leaks('the API', api),
      ...leaks('the stream', stream.join('\n')),
      ...['/native', '/cloudevents', '/ocsf', '/am', '/slack'].flatMap((p) => leaks(`sink ${p}`, rec.requests.filter((r) => r.path.startsWith(p)).map((r) => r.body).join('\n'))),
    ];
    assert.deepEqual(problems, []);
    assert.ok(stream.some((m) => m.includes('"type":"events"')), 'raw events were streamed (and checked)');
  });

  it('no secret in replay output (JSON lines and table) or its bad-input summary', async () => {
    const input = join(tmp.dir, 'events.jsonl');
    const { text, alerting } = corpus();
    writeFileSync(input, text);
    const run = (args: string[]) => promisify(execFile)(process.execPath, [CLI, 'replay', '--source', 'events', input, ...args], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    const json = await run(['--json']);
    const table = await run([]);
    assert.equal(json.stdout.trim().split('\n').length, alerting, 'one alert per case');
    assert.match(json.stderr, /bad input: \d+ record/);
    assert.match(json.stderr, /<redacted/, 'the bad-input examples are shown, redacted');
    const problems = [...leaks('replay --json', json.stdout), ...leaks('replay summary', json.stderr), ...leaks('replay table', table.stdout + table.stderr)];
    assert.deepEqual(problems, []);
  });
});
