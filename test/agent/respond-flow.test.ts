// The responder's flow, end to end, on the replay fixture (its learning part feeds a live
// agent through the events source; the test appends what happens next) and through the
// real CLI: alert → approve → the same behaviour no longer alerts; forbid → it alerts
// every time, also while relearning; an image change → the diff lists exactly the new
// items; export → import into a fresh agent → the identical baseline.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import type { StoredAlert } from '../../agent/store/alerts.ts';
import { tempDir } from '../support/agent-proc.ts';
import { CLI, REPO, waitFor } from '../support/env.ts';

const FIXTURE = join(REPO, 'test/fixtures/replay/web-attack.jsonl');
const LEARN = 203; // the fixture's learning part (test/fixtures/replay/README.md)
const W = 'shop/Deployment/web';
const TOKEN = 'responder-token-0123456789';
const run = promisify(execFile);

describe('responder flow on the replay fixture, through the CLI', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let input: string;
  let pid = 5000;
  /** the image web runs (an event with another one starts a new baseline version) */
  let image = 'nginx:1.27';
  const template = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]) as Record<string, unknown> & { process: Record<string, unknown>; container: Record<string, unknown> };

  /** one event of web's nginx container, now — each from its own nginx worker, so no two fold into one finding (models/fanout.ts) */
  const ev = (kind: string, exe: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      ...template,
      time: Date.now(),
      kind,
      process: { ...template.process, pid: (pid += 2), ppid: pid - 1, exe, args: [exe], ancestors: [{ exe: '/usr/sbin/nginx', pid: pid - 1 }] },
      container: { ...template.container, image },
      ...extra,
    }) + '\n';
  const cli = async (...args: string[]): Promise<string> =>
    (await run(process.execPath, [CLI, ...args], { env: { ...process.env, HABITWATCH_API: `http://127.0.0.1:${agent.apiPort}`, HABITWATCH_TOKEN: TOKEN } })).stdout;
  const alerts = (): StoredAlert[] => agent.alerts.list({ workload: W, limit: 1000 });
  const baseline = () => agent.profiler.baselines.get(`${W}#nginx`)!;
  /** append events, then a marker exec, and wait until the marker was judged (alerted, or learned while learning): everything before it was */
  let marks = 0;
  const feed = async (...lines: string[]): Promise<void> => {
    const marker = `/usr/bin/marker-${++marks}`;
    appendFileSync(input, lines.join('') + ev('exec', marker));
    await waitFor(() => baseline().has('exec', marker) || alerts().some((a) => a.evidence.exe === marker), { what: `${marker} judged` });
  };

  before(async () => {
    tmp = tempDir('hw-flow-');
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, readFileSync(FIXTURE, 'utf8').split('\n').slice(0, LEARN).join('\n') + '\n');
    agent = await startAgent(
      buildConfig({
        dataDir: join(tmp.dir, 'data'),
        api: { listen: '127.0.0.1:0', tokens: [{ name: 'alice', token: TOKEN, role: 'admin' }] },
        sources: { enabled: ['events'], events: { paths: [input], follow: true } },
        // relearning lasts at least 5 s: long enough to show a forbidden item alerting while it does
        learning: { minLearning: '5s', quietPeriod: '300ms' },
        store: { flushInterval: '100ms' },
      }),
      { log: silentLogger },
    );
    await waitFor(() => baseline()?.meta.state === 'stable', { what: 'web learned and stable' });
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('alert → approve (CLI) → the same behaviour no longer alerts', async () => {
    await feed(ev('exec', '/usr/bin/curl'));
    const first = alerts().find((a) => a.rule === 'unexpected-exec' && a.evidence.item === '/usr/bin/curl');
    assert.ok(first, 'curl alerted');
    assert.match(await cli('baseline', 'approve', '--alert', first.id, '--note', 'health check tool'), /added to shop\/Deployment\/web#nginx: \/usr\/bin\/curl; alert resolved/);
    const after = agent.alerts.get(first.id)!;
    assert.equal(after.status, 'resolved');
    assert.equal(after.statusChange?.by, 'alice');
    assert.equal(after.statusChange?.note, 'health check tool');
    await feed(ev('exec', '/usr/bin/curl'), ev('exec', '/usr/bin/curl'));
    assert.deepEqual(alerts().filter((a) => a.evidence.item === '/usr/bin/curl').map((a) => a.id), [first.id], 'no new curl alert');
    assert.equal(agent.alerts.get(first.id)!.count, 1, 'nor a repeat folded into the resolved one');
  });

  it('forbid → it always alerts, also while relearning, and is never learned', async () => {
    await cli('baseline', 'forbid', W, '--kind', 'exec', '/usr/bin/wget');
    await feed(ev('exec', '/usr/bin/wget'));
    assert.equal(alerts().filter((a) => a.rule === 'forbidden-item').length, 1);
    assert.match(await cli('baseline', 'relearn', W), /relearning/);
    await feed(ev('exec', '/usr/bin/wget'), ev('exec', '/usr/bin/newtool'));
    const hit = alerts().filter((a) => a.rule === 'forbidden-item');
    assert.ok(hit.length >= 1);
    // the repeat folded into the open forbidden-item alert: count 2, raised while relearning
    const f = agent.alerts.get(hit[0].id)!;
    assert.equal(f.count, 2);
    assert.equal(baseline().meta.state, 'relearning');
    assert.ok(baseline().has('exec', '/usr/bin/newtool'), 'relearning learns new things');
    assert.ok(!baseline().has('exec', '/usr/bin/wget'), 'but never the forbidden one');
    assert.ok(!alerts().some((a) => a.evidence.item === '/usr/bin/newtool'), 'no alert for what relearning learned');
  });

  it('an image change starts a new version; the diff lists exactly the new items', async () => {
    const v = baseline().meta.version;
    image = 'nginx:1.28';
    await feed(
      ev('exec', '/usr/sbin/nginx'),
      ev('exec', '/usr/bin/njs'),
      ev('file_write', '/usr/sbin/nginx', { path: '/var/cache/nginx/njs/state.json', op: 'create' }),
      ev('connect', '/usr/sbin/nginx', { proto: 'tcp', dstAddr: '10.96.0.15', dstPort: 8080 }),
    );
    assert.equal(baseline().meta.version, v + 1);
    const diff = JSON.parse(await cli('baseline', 'diff', W, '-o', 'json')) as { from: { version: number }; to: { version: number }; changes: { kind: string; item: string; change: string }[] };
    assert.equal(diff.from.version, v);
    assert.equal(diff.to.version, v + 1);
    // the marker exec of feed() is new in this version too
    assert.deepEqual(
      diff.changes.map((c) => `${c.change} ${c.kind} ${c.item}`),
      ['added exec /usr/bin/marker-5', 'added exec /usr/bin/njs', 'added file_write /var/cache/nginx/njs/state.json'],
    );
    await assert.rejects(run(process.execPath, [CLI, 'baseline', 'diff', W, '--exit-code', '--api', `http://127.0.0.1:${agent.apiPort}`, '--token', TOKEN]), (e: { code: number }) => e.code === 1);
  });

  it('export → import into a fresh agent → the identical baseline', async () => {
    // exported once it is stable, so nothing changes it while the test compares
    await waitFor(() => baseline().meta.state === 'stable', { timeoutMs: 20_000, what: 'stable again' });
    const file = join(tmp.dir, 'web.yaml');
    writeFileSync(file, await cli('baseline', 'export', W, '-o', 'yaml'));
    const a = parseYaml(readFileSync(file, 'utf8')) as { baselines: unknown[] };
    const fresh = await startAgent(
      buildConfig({ dataDir: join(tmp.dir, 'fresh'), api: { listen: '127.0.0.1:0', tokens: [{ name: 'gitops', token: TOKEN, role: 'admin' }] }, sources: { enabled: [] } }),
      { log: silentLogger },
    );
    try {
      const api2 = `http://127.0.0.1:${fresh.apiPort}`;
      const out = (await run(process.execPath, [CLI, 'baseline', 'import', file, '--api', api2, '--token', TOKEN])).stdout;
      assert.match(out, /created shop\/Deployment\/web#nginx/);
      const b = JSON.parse((await run(process.execPath, [CLI, 'baseline', 'export', W, '-o', 'json', '--api', api2, '--token', TOKEN])).stdout) as { baselines: unknown[] };
      assert.deepEqual(b.baselines, a.baselines);
      // …also after the fresh agent restarts from its database
      await fresh.stop();
      const again = await startAgent(buildConfig({ dataDir: join(tmp.dir, 'fresh'), api: { listen: '127.0.0.1:0', tokens: [{ name: 'gitops', token: TOKEN, role: 'admin' }] }, sources: { enabled: [] } }), { log: silentLogger });
      try {
        assert.deepEqual(again.responder.export(W).baselines, a.baselines);
      } finally {
        await again.stop();
      }
    } finally {
      await fresh.stop();
    }
  });

  it('every change is in the audit trail: who, how, from where', async () => {
    assert.match(await cli('audit', '--all'), /alice\s+token\s+\S*127\.0\.0\.1\s+forbid\s+shop\/Deployment\/web#nginx/);
    const lines = (await cli('audit', '-o', 'json')).trim().split('\n').map((l) => JSON.parse(l) as { actor: string; action: string; via: string; remote: string });
    assert.deepEqual([...new Set(lines.map((l) => l.action))].sort(), ['approve-alert', 'forbid', 'relearn']);
    assert.ok(lines.every((l) => l.actor === 'alice' && l.via === 'token' && /127\.0\.0\.1/.test(l.remote)));
  });
});
