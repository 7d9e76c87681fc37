// Live: the agent does not judge itself (field report "the agent alerts on itself").
// The agent runs with bpftrace inside a test cgroup and does what it always does — it
// writes its database and delivers an alert to a webhook (its own connect) — while
// processes that are not the agent's run next to it and in another cgroup. Their
// activity is learned; the agent's own never is. Two placements:
// - shared: another process was in the agent's cgroup first (a login session running
//   `npm start`): only the agent's lineage is excluded, and the exec of its CLI;
// - its own: the agent alone in its cgroup (its container in a DaemonSet): the whole
//   cgroup is excluded, a process started in it later included.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startAgentProc, tempDir, type AgentProc } from '../support/agent-proc.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { REPO, bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

type Baseline = { baselines?: { items: Record<string, { key: string }[]> }[] };

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port));
  });
}

/** connect to 127.0.0.1:port from a process started in cgroup c (not the agent's) */
const connectFrom = (c: TestContainer, port: number) =>
  c.exec(process.execPath, ['-e', `require('net').connect(${port}, '127.0.0.1').on('connect', function () { this.end(); }).on('error', () => {})`]);

describe('e2e: the agent does not judge its own processes (bpftrace)', function () {
  this.timeout(240000);
  const cleanups: (() => unknown)[] = [];
  let hookPort: number;
  let hookPosts = 0;
  let controlPort: number;

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    const hook = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hookPosts++;
        res.writeHead(200).end();
      });
    });
    hookPort = await listen(hook);
    const control = createServer((s) => s.destroy());
    controlPort = await listen(control);
    cleanups.push(() => hook.close(), () => control.close());
  });
  afterEach(async () => {
    for (const f of cleanups.splice(2).reverse()) await f();
  });
  after(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  async function start(shared: boolean): Promise<{ a: AgentProc; mine: TestContainer; other: TestContainer; dataDir: string }> {
    const mine = createTestContainer();
    const other = createTestContainer();
    const tmp = tempDir('hw-own-');
    cleanups.push(() => tmp.cleanup(), () => other.remove(), () => mine.remove());
    if (shared) {
      const sibling: ChildProcess = mine.spawn('sleep', ['600']);
      cleanups.push(() => sibling.kill('SIGKILL'));
      await waitFor(() => sibling.pid !== undefined && mine.abs && true, { what: 'sibling started' });
    }
    const a = await startAgentProc(
      tmp.dir,
      {
        sources: { enabled: ['bpftrace'], bpftrace: { cgroupPrefixes: ['/kubepods.slice'], intervalS: 1 } },
        // everything stays learning: what reaches a baseline is learned, never turned into a novelty alert
        learning: { minLearning: '1h', quietPeriod: '1h' },
        sinks: [{ type: 'webhook', name: 'hook', url: `http://127.0.0.1:${hookPort}/hook`, hmacSecret: 'k' }],
      },
      { spawn: mine.spawn, timeoutMs: 60000 },
    );
    cleanups.push(() => a.kill());
    await waitFor(async () => (await a.api('/readyz')).status === 200, { timeoutMs: 60000, what: 'bpftrace observing' });
    return { a, mine, other, dataDir: tmp.dir };
  }

  /** the agent's own work: an alert from the other cgroup makes it write and deliver */
  async function provokeOwnWork(t: { a: AgentProc; other: TestContainer; dataDir: string }): Promise<void> {
    const before = hookPosts;
    const r = await t.other.run(`cp /bin/true ${t.dataDir}/x && ${t.dataDir}/x`);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => hookPosts > before, { timeoutMs: 30000, what: 'the agent delivered to the webhook' });
    await waitFor(async () => /habitwatch_own_events_total\{source="bpftrace"\} [1-9]/.test(await (await t.a.api('/metrics')).text()), {
      timeoutMs: 30000,
      what: 'own events counted',
    });
  }

  const keys = async (a: AgentProc, id: string): Promise<string[]> => {
    const r = await a.api(`/v1/workloads/${id}/baseline`);
    if (r.status === 404) return [];
    const b = (await r.json()) as Baseline;
    return (b.baselines ?? []).flatMap((x) => Object.entries(x.items).flatMap(([kind, items]) => items.map((i) => `${kind} ${i.key}`)));
  };

  /** the agent's start-up line saying what it excludes */
  const ownLog = (a: AgentProc): { pid?: number; cgroup?: string } =>
    a
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; pid?: number; cgroup?: string })
      .find((l) => l.msg === 'own processes excluded')!;

  function assertNotOwn(all: string[], dataDir: string): void {
    assert.ok(!all.includes(`connect tcp 127.0.0.1:${hookPort}`), `the agent's webhook connect was learned: ${all.join(', ')}`);
    assert.ok(!all.some((k) => k.startsWith('file_write') && k.includes('/data/habitwatch.db')), `the agent's database writes were learned: ${all.join(', ')}`);
    assert.ok(!all.some((k) => k.includes(dataDir.split('/').pop()!) && k.includes('habitwatch')), 'nothing of the agent under its data directory');
  }

  it('shared cgroup: the agent and its children are left out, its neighbours are judged', async () => {
    const t = await start(true);
    const said = ownLog(t.a);
    assert.equal(said.pid, t.a.child.pid);
    assert.equal(said.cgroup, undefined, 'a shared cgroup is not excluded');
    await provokeOwnWork(t);
    // an operator runs the agent's CLI through a link under /tmp (as from a clone there):
    // its exec is the agent's own, not "a binary run from /tmp"
    const cli = join(t.dataDir, 'habitwatch');
    symlinkSync(join(REPO, 'bin', 'habitwatch.js'), cli);
    await t.mine.exec(cli, ['--help']);
    // a neighbour in the agent's cgroup connects after the agent did: once it is learned,
    // the agent's earlier connect has been through the pipeline too
    const id = `host/pod/${t.mine.podUid}`;
    await connectFrom(t.mine, controlPort);
    await waitFor(async () => (await keys(t.a, id)).includes(`connect tcp 127.0.0.1:${controlPort}`), { timeoutMs: 30000, what: "the neighbour's connect learned" });
    const all = [...(await keys(t.a, id)), ...(await keys(t.a, `host/pod/${t.other.podUid}`))];
    assertNotOwn(all, t.dataDir);
    const alerts = (await (await t.a.api('/v1/alerts')).json()) as { alerts: { workload: { id: string }; process: { pid: number; exe: string; ancestors: { pid?: number }[] } }[] };
    const pid = t.a.child.pid!;
    for (const al of alerts.alerts) assert.ok(al.process.pid !== pid && !al.process.ancestors.some((x) => x.pid === pid), `an alert about the agent itself: ${JSON.stringify(al).slice(0, 300)}`);
    assert.ok(!alerts.alerts.some((al) => al.process.exe === cli), "an alert about the agent's CLI");
    assert.ok(!all.some((k) => k.startsWith('exec ') && k.endsWith('/habitwatch')), `the CLI's exec was learned: ${all.join(', ')}`);
    assert.ok(alerts.alerts.some((al) => al.workload.id === `host/pod/${t.other.podUid}`), 'the exec from /tmp in the other cgroup alerted');
  });

  it("its own cgroup: nothing in it is judged, the other cgroup is", async () => {
    const t = await start(false);
    assert.equal(ownLog(t.a).cgroup, t.mine.path);
    await provokeOwnWork(t);
    // started in the agent's cgroup after the agent: part of the agent's container
    await connectFrom(t.mine, controlPort);
    const otherId = `host/pod/${t.other.podUid}`;
    await connectFrom(t.other, controlPort);
    await waitFor(async () => (await keys(t.a, otherId)).includes(`connect tcp 127.0.0.1:${controlPort}`), { timeoutMs: 30000, what: "the other cgroup's connect learned" });
    const workloads = (await (await t.a.api('/v1/workloads')).json()) as { workloads: { id: string }[] };
    assert.ok(!workloads.workloads.some((w) => w.id === `host/pod/${t.mine.podUid}`), "the agent's own cgroup has no baseline");
    assertNotOwn(await keys(t.a, otherId), t.dataDir);
  });
});
