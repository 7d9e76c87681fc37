// Live: the lineage of a pipeline inside a command substitution, under worker restarts and
// pid churn (the short scenario suite's intermittent false positive: "sha1sum, cut …
// by /usr/bin/bash", the worker's `h=$(printf … | sha1sum | cut …)`). sha1sum's and
// cut's parent is the substitution's subshell, a fork of the worker's bash that never
// execs; a worker stopped (SIGTERM) while that subshell runs leaves it adopted by the
// reaper, and a pid reused by another tree's bash may still have an entry in the process
// cache. Every exec of sha1sum and cut attributed with a known parent must be judged by
// the worker's lineage (collector/enrich/procs.ts parentAtExec with the bpftrace record's
// parentPpid and parentForked). Beside it, the same events attributed without them (as
// before) show how often the race happened.
//
// In `npm test`: 20 s, a worker restarted after every four pipelines. `npm run stress:lineage`
// (HW_LINEAGE=full): 5 minutes, with bash processes churning pids in another cgroup so
// that the pid space (pid_max) wraps (the report says how often).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { liveEvents } from '../../collector/sources/bpftrace/index.ts';
import { defaults } from '../../collector/sources/bpftrace/config.ts';
import { CgroupIdMap } from '../../collector/enrich/cgroupid.ts';
import { ProcessCache } from '../../collector/enrich/procs.ts';
import { createProcfsAttribution } from '../../collector/enrich/attribution.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { createLogger } from '../../collector/logger.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { lineageExe } from '../../models/baseline/lineage.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

const FULL = process.env.HW_LINEAGE === 'full';
const STRESS_MS = FULL ? 300_000 : 20_000;

describe('e2e: lineage of a command substitution\'s pipeline under restarts and pid churn (live kernel, bpftrace)', function () {
  this.timeout(STRESS_MS + 180_000);
  const cgroups: TestContainer[] = [];
  const children: ChildProcess[] = [];
  let ac: AbortController | undefined;
  let run: Promise<void> | undefined;

  after(async () => {
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    ac?.abort();
    await run;
    for (const c of cgroups) await c.remove();
  });

  it('sha1sum and cut are judged by the worker\'s lineage or not at all, never by a stranger or the reaper', async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    const w = createTestContainer();
    cgroups.push(w);
    const churn = FULL ? createTestContainer() : undefined;
    if (churn) cgroups.push(churn);
    const ids = new CgroupIdMap();
    const procs = new ProcessCache();
    // the same events, attributed as before the kernel named the parent's parent
    const before = new ProcessCache();
    const attribute = createEnricher([createProcfsAttribution({ processes: procs, cgroupIds: ids })]);
    const attributeBefore = createProcfsAttribution({ processes: before, cgroupIds: ids });
    const mine: RuntimeEvent[] = [];
    const mineBefore: RuntimeEvent[] = [];
    let ready = false;
    ac = new AbortController();
    const log = createLogger({ level: 'warn', write: (l) => process.env.HW_DEBUG && console.error(l) });
    const ctx = { node: 'test-node', signal: ac.signal, log, stats: new MemoryStats(), state: { get: () => undefined, set() {} }, now: Date.now };
    run = (async () => {
      for await (const batch of liveEvents({ ...defaults, intervalS: 1 }, ctx, { ids, onReady: () => (ready = true) })) {
        // a copy without the parent's parent first: both read /proc at the same moment
        const copies = batch.filter((ev) => ev.kind === 'exec').map((ev) => ({ ...ev, process: { ...ev.process, parentPpid: undefined, parentForked: undefined } }) as RuntimeEvent);
        for (const ev of copies) attributeBefore.enrich(ev);
        attribute.enrich(batch);
        for (const ev of batch) if (ev.kind === 'exec' && ev.cgroup?.id === w.cgroupId) mine.push(ev);
        for (const ev of copies) if (ev.cgroup?.id === w.cgroupId) mineBefore.push(ev);
      }
    })();
    await waitFor(() => ready, { timeoutMs: 120_000, what: 'bpftrace ready' });

    const loop = 'while :; do h=$(printf %s "item-$RANDOM" | sha1sum | cut -c1-8); done';
    let workers = 0;
    const startWorker = (): ChildProcess => {
      workers++;
      const p = w.spawn('/bin/bash', ['-c', loop], { stdio: 'ignore' });
      children.push(p);
      return p;
    };
    if (churn) for (let i = 0; i < 2; i++) children.push(churn.spawn('/bin/bash', ['-c', 'while :; do bash -c :; done'], { stdio: 'ignore' }));
    // the worker's lineage, before any restart
    let worker = startWorker();
    const pipeline = (evs: RuntimeEvent[]) => evs.filter((ev) => /\/(sha1sum|cut)$/.test(ev.process.exe));
    const first = await waitFor(() => pipeline(mine).find((ev) => (ev.process.ancestors?.length ?? 0) > 1), { timeoutMs: 30_000, what: 'a sha1sum or cut with its lineage' });
    const expected = lineageExe(first.process.ancestors);
    assert.equal(expected, realpathSync(process.execPath), 'the worker was started by this process');
    // each worker is stopped once it has run a few pipelines: at whatever point of its
    // loop it is then (mostly inside the substitution: that is most of its time)
    // the pid space wrapping shows as the last pid handed out going down
    const lastPid = (): number => Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    let wraps = 0;
    let last = lastPid();
    const end = Date.now() + STRESS_MS;
    while (Date.now() < end) {
      const now = lastPid();
      if (now < last) wraps++;
      last = now;
      const n = pipeline(mine).length;
      await waitFor(() => pipeline(mine).length >= n + 4, { timeoutMs: 30_000, intervalMs: 20, what: `pipelines of worker ${workers}` });
      worker.kill('SIGTERM');
      worker = startWorker();
    }
    worker.kill('SIGTERM');
    // every event is in once an exec run after them is
    const marker = await w.run('/bin/true hw-lineage-end');
    assert.equal(marker.code, 0, marker.stderr);
    await waitFor(() => mine.some((ev) => ev.process.args[1] === 'hw-lineage-end'), { timeoutMs: 30_000, what: 'the last events' });

    const judged = (evs: RuntimeEvent[]) => pipeline(evs).filter((ev) => lineageExe(ev.process.ancestors) !== undefined);
    const wrong = (evs: RuntimeEvent[]) => judged(evs).filter((ev) => lineageExe(ev.process.ancestors) !== expected);
    const show = (ev: RuntimeEvent) => `${ev.process.exe} ppid ${ev.process.ppid} pppid ${ev.process.parentPpid} forked ${ev.process.parentForked}: ${ev.process.ancestors?.map((a) => `${a.pid}:${a.exe}`).join(' < ')}`;
    const all = pipeline(mine).length;
    const report = `${workers} workers, pid space wrapped ${wraps} times, ${all} sha1sum/cut execs, ${judged(mine).length} with a lineage (attributed as before: ${judged(mineBefore).length} with a lineage, ${wrong(mineBefore).length} of them wrong)`;
    console.log(`      ${report}`);
    if (process.env.HW_DEBUG) for (const ev of wrong(mineBefore).slice(0, 20)) console.error(`before: ${show(ev)}`);
    assert.ok(all > workers, `the worker ran: ${report}`);
    assert.deepEqual(wrong(mine).map(show), [], report);
  });
});
