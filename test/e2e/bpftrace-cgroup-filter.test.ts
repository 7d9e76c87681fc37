// Live: cgroupPrefixes filtered in the kernel. The program's every tracepoint probe gets
// the predicate, the watched cgroup's events still come, another pod's never do.
import assert from 'node:assert/strict';
import { liveEvents } from '../../collector/sources/bpftrace/index.ts';
import { defaults } from '../../collector/sources/bpftrace/config.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { createLogger } from '../../collector/logger.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

describe('e2e: bpftrace cgroupPrefixes in the kernel', function () {
  this.timeout(120000);
  let watched: TestContainer;
  let other: TestContainer;
  let ac: AbortController;
  let run: Promise<void>;
  let ready = false;
  let program = '';
  const events: RuntimeEvent[] = [];

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    watched = createTestContainer();
    other = createTestContainer();
    ac = new AbortController();
    const log = createLogger({ level: 'warn', write: (l) => process.env.HW_DEBUG && console.error(l) });
    const ctx = { node: 'test-node', signal: ac.signal, log, stats: new MemoryStats(), state: { get: () => undefined, set() {} }, now: Date.now };
    const cfg = { ...defaults, intervalS: 1, cgroupPrefixes: [watched.path] };
    run = (async () => {
      for await (const batch of liveEvents(cfg, ctx, { onReady: () => (ready = true), onProgram: (t) => (program = t) })) events.push(...batch);
    })();
    await waitFor(() => ready, { timeoutMs: 60000, what: 'bpftrace ready' });
  });

  after(async () => {
    ac?.abort();
    await run;
    await watched?.remove();
    await other?.remove();
  });

  it('every tracepoint probe carries the predicate, and bpftrace accepted it', () => {
    const probes = program.split('\n').filter((l) => l.startsWith('tracepoint:'));
    assert.ok(probes.length > 0);
    for (const l of probes) assert.match(l, /->ancestors\)\[\d+\]->kn->id/, l);
  });

  it('the watched cgroup’s execs come; another pod’s do not', async () => {
    assert.equal((await other.run('/bin/true hw-other')).code, 0);
    assert.equal((await watched.run('/bin/true hw-watched')).code, 0);
    await waitFor(() => events.some((e) => e.kind === 'exec' && e.process.args[1] === 'hw-watched'), { timeoutMs: 30000, what: 'the watched exec' });
    // and its syscall set, from the in-kernel aggregate
    await waitFor(() => events.some((e) => e.kind === 'syscall' && e.cgroup?.id === watched.cgroupId), { timeoutMs: 30000, what: 'the watched syscalls' });
    assert.ok(events.every((e) => e.cgroup?.id === watched.cgroupId), JSON.stringify(events.filter((e) => e.cgroup?.id !== watched.cgroupId).slice(0, 3)));
  });
});
