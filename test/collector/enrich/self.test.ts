// The agent's own events: what makes an event the agent's, how the agent finds its own
// cgroup (in a cgroup namespace too) and decides it is its own, and the pipeline
// leaving those events out of a batch.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverSelf, isOwnEvent } from '../../../collector/enrich/self.ts';
import { createEnricher } from '../../../collector/enrich/index.ts';
import { silentLogger } from '../../../collector/log.ts';
import { Pipeline } from '../../../agent/pipeline.ts';
import { createMetrics } from '../../../agent/metrics.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { DEFAULT_LEARNING } from '../../../models/baseline/baseline.ts';
import { Engine, DEFAULT_ENGINE } from '../../../models/engine.ts';
import { rules } from '../../../models/rules/index.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { tempDir } from '../../support/agent-proc.ts';

const AGENT = 4242;
const ev = (o: Partial<RuntimeEvent> & { pid?: number; ppid?: number; ancestors?: { pid?: number; exe: string }[] } = {}): RuntimeEvent =>
  ({
    time: 1,
    node: 'n',
    source: 'bpftrace',
    kind: 'exec',
    enrichment: 'complete',
    process: { pid: o.pid ?? 100, ppid: o.ppid, exe: '/usr/bin/true', args: ['true'], ancestors: o.ancestors },
    cgroup: o.cgroup,
    workload: o.workload,
  }) as RuntimeEvent;

describe('own events (collector/enrich/self.ts)', () => {
  describe('isOwnEvent', () => {
    const self = { pid: AGENT, cgroupPath: '/kubepods.slice/agent.scope', pod: { namespace: 'habitwatch', name: 'habitwatch-x1' } };
    it('the agent, its children and their descendants', () => {
      assert.ok(isOwnEvent(ev({ pid: AGENT }), self));
      assert.ok(isOwnEvent(ev({ pid: 7, ppid: AGENT }), self), 'bpftrace');
      assert.ok(isOwnEvent(ev({ pid: 8, ppid: 7, ancestors: [{ pid: 7, exe: '/usr/bin/sh' }, { pid: AGENT, exe: '/usr/bin/node' }] }), self));
    });
    it('its own cgroup and its own pod', () => {
      assert.ok(isOwnEvent(ev({ cgroup: { path: '/kubepods.slice/agent.scope' } }), self));
      assert.ok(isOwnEvent(ev({ pid: 0, workload: { id: 'habitwatch/DaemonSet/habitwatch', namespace: 'habitwatch', kind: 'DaemonSet', name: 'habitwatch', pod: 'habitwatch-x1' } }), self));
    });
    it('not: other processes, a child cgroup, a namesake pod elsewhere, pid 0 (per-cgroup syscall sets)', () => {
      assert.ok(!isOwnEvent(ev({ pid: 9, ppid: 1, ancestors: [{ pid: 1, exe: '/sbin/init' }] }), self));
      assert.ok(!isOwnEvent(ev({ cgroup: { path: '/kubepods.slice/agent.scope/child' } }), self));
      assert.ok(!isOwnEvent(ev({ workload: { id: 'x/Pod/habitwatch-x1', namespace: 'other', kind: 'Pod', name: 'habitwatch-x1', pod: 'habitwatch-x1' } }), self));
      assert.ok(!isOwnEvent(ev({ pid: 0 }), { pid: 0 }));
      assert.ok(!isOwnEvent(ev({ pid: AGENT }), {}), 'no identity, nothing excluded');
    });
  });

  describe('discoverSelf', () => {
    let t: ReturnType<typeof tempDir>;
    let proc: string;
    let cg: string;
    beforeEach(() => {
      t = tempDir('hw-self-');
      proc = join(t.dir, 'proc');
      cg = join(t.dir, 'cgroup');
      mkdirSync(cg);
      writeFileSync(join(cg, 'cgroup.procs'), '1\n');
    });
    afterEach(() => t.cleanup());
    const task = (pid: number, ppid: number, cgroupLine: string) => {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(join(proc, String(pid), 'status'), `Name:\tx\nPid:\t${pid}\nPPid:\t${ppid}\n`);
      writeFileSync(join(proc, String(pid), 'cgroup'), cgroupLine);
    };
    const cgroup = (rel: string, pids: number[]) => {
      mkdirSync(join(cg, rel), { recursive: true });
      writeFileSync(join(cg, rel, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
    };
    const discover = (env: Record<string, string> = {}, hostSources = true) => discoverSelf({ pid: AGENT, env, hostSources, procRoot: proc, cgroupRoot: cg });

    it('a cgroup holding only the agent and its children is its own', () => {
      task(AGENT, 1, '0::/system.slice/habitwatch.service\n');
      task(AGENT + 1, AGENT, '0::/system.slice/habitwatch.service\n');
      cgroup('system.slice/habitwatch.service', [AGENT, AGENT + 1]);
      assert.deepEqual(discover(), { pid: AGENT, cgroupPath: '/system.slice/habitwatch.service' });
    });
    it('in a cgroup namespace (/proc says "/"), the agent finds its cgroup in the mounted tree', () => {
      task(AGENT, 1, '0::/\n');
      cgroup('kubepods.slice/kubepods-pod1.slice', []);
      cgroup('kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope', [AGENT]);
      assert.equal(discover().cgroupPath, '/kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope');
    });
    it('a shared cgroup (a login session) or the root cgroup is not', () => {
      task(AGENT, 300, '0::/user.slice/session-3.scope\n');
      task(300, 299, '0::/user.slice/session-3.scope\n'); // npm, the agent's parent
      task(299, 1, '0::/user.slice/session-3.scope\n'); // the login shell
      cgroup('user.slice/session-3.scope', [299, 300, AGENT]);
      assert.deepEqual(discover(), { pid: AGENT });
      writeFileSync(join(cg, 'cgroup.procs'), `1\n${AGENT}\n`);
      task(AGENT, 1, '0::/\n');
      assert.deepEqual(discover(), { pid: AGENT });
    });
    it('the pod from the downward API; without a host source, no pid or cgroup', () => {
      task(AGENT, 1, '0::/x.scope\n');
      cgroup('x.scope', [AGENT]);
      assert.deepEqual(discover({ POD_NAMESPACE: 'habitwatch', POD_NAME: 'habitwatch-x1' }, false), { pod: { namespace: 'habitwatch', name: 'habitwatch-x1' } });
    });
  });

  it('the pipeline leaves own events out of the batch once enriched, in place, and counts them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const profiler = new Profiler(DEFAULT_LEARNING);
    const p = new Pipeline({ engine: new Engine(profiler, rules, DEFAULT_ENGINE), enricher: createEnricher(), log: silentLogger, now: () => 1, metrics, isOwn: (x) => isOwnEvent(x, { pid: AGENT }) });
    const batch = [ev({ pid: 1 }), ev({ pid: AGENT }), ev({ pid: 2 }), ev({ pid: 3, ppid: AGENT }), ev({ pid: 4 })];
    const same = batch;
    p.processBatch(batch);
    assert.equal(batch, same);
    assert.deepEqual(batch.map((x) => x.process.pid), [1, 2, 4]);
    assert.ok(batch.every((x) => x.workload !== undefined), 'the kept events are enriched');
    assert.equal(p.events, 3);
    assert.match(await metrics.registry.metrics(), /habitwatch_own_events_total\{source="bpftrace"\} 2/);
  });
});
