// Live: what detection needs from the bpftrace source (issue 13), against the real
// kernel: reads of sensitive paths by every route (open, openat, openat2, a path not yet
// in memory at entry, a path relative to a root cwd) and nothing for other reads; the
// first exec of a new container attributed to it; syscall sets that name the process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveEvents } from '../../collector/sources/bpftrace/index.ts';
import { defaults } from '../../collector/sources/bpftrace/config.ts';
import { DEFAULT_SENSITIVE_PATHS } from '../../collector/sources/bpftrace/sensitive.ts';
import { CgroupIdMap } from '../../collector/enrich/cgroupid.ts';
import { ProcessCache } from '../../collector/enrich/procs.ts';
import { createProcfsAttribution } from '../../collector/enrich/attribution.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { createLogger } from '../../collector/logger.ts';
import type { EventOf, RuntimeEvent } from '../../collector/event.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { REPO, bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

describe('e2e: bpftrace source for detection (live kernel)', function () {
  this.timeout(180000);
  let c: TestContainer;
  const others: TestContainer[] = [];
  let ac: AbortController;
  let run: Promise<void>;
  let events: RuntimeEvent[];
  let ready = false;
  let tmp: string;
  let ov: string;
  const ids = new CgroupIdMap({ minRescanMs: 3_600_000 }); // one scan: later cgroups only through their processes
  const procs = new ProcessCache();
  const mineIds = new Set<string>();

  const opens = (): EventOf<'file_open'>[] => events.filter((e) => e.kind === 'file_open' && e.cgroup?.id === c.cgroupId) as EventOf<'file_open'>[];

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    tmp = mkdtempSync(join(tmpdir(), 'hw-reads-'));
    ov = join(tmp, 'open-variants');
    execFileSync('cc', ['-O2', '-o', ov, join(REPO, 'test/e2e/support/open-variants.c')]);
    for (const d of ['home/alice/.ssh', 'home/alice/.ssh2', 'keys', 'secret-dir/a']) mkdirSync(join(tmp, d), { recursive: true });
    for (const f of ['home/alice/.ssh/id_rsa', 'home/alice/.ssh2/x', 'keys/host_rsa_key', 'keys/host_rsa_key.pub', 'secret-dir/a/b', 'exact', 'exactly', 'plain']) writeFileSync(join(tmp, f), 'x');
    writeFileSync(join(tmp, 'pathfile'), `${tmp}/exact\0`);
    c = createTestContainer();
    mineIds.add(c.cgroupId);
    events = [];
    ac = new AbortController();
    const log = createLogger({ level: 'warn', write: (l) => process.env.HW_DEBUG && console.error(l) });
    const ctx = { node: 'test-node', signal: ac.signal, log, stats: new MemoryStats(), state: { get: () => undefined, set() {} }, now: Date.now };
    const sensitivePaths = [...DEFAULT_SENSITIVE_PATHS, `${tmp}/home/*/.ssh/`, `${tmp}/keys/host_*_key`, `${tmp}/secret-dir/`, `${tmp}/exact`];
    const cfg = { ...defaults, intervalS: 1, sensitivePaths };
    const enricher = createEnricher([createProcfsAttribution({ processes: procs, cgroupIds: ids })]);
    run = (async () => {
      for await (const batch of liveEvents(cfg, ctx, { ids, onReady: () => (ready = true) })) {
        enricher.enrich(batch);
        for (const ev of batch) {
          if (process.env.HW_DEBUG && ev.kind === 'exec') console.error('exec', ev.cgroup, ev.process.args.slice(0, 3));
          if (ev.cgroup?.id !== undefined && mineIds.has(ev.cgroup.id)) events.push(ev);
        }
      }
    })();
    await waitFor(() => ready, { timeoutMs: 120000, what: 'bpftrace ready' });
  });

  after(async () => {
    ac?.abort();
    await run;
    await c?.remove();
    for (const o of others) await o.remove();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reports reads of listed paths, by every route, and no other read', async () => {
    const script = [
      'cat /etc/shadow /etc/hostname > /dev/null',
      'cat /proc/self/environ > /dev/null',
      `cat ${tmp}/home/alice/.ssh/id_rsa ${tmp}/home/alice/.ssh2/x ${tmp}/keys/host_rsa_key ${tmp}/keys/host_rsa_key.pub > /dev/null`,
      `cat ${tmp}/secret-dir/a/b ${tmp}/exactly ${tmp}/plain > /dev/null`,
      `${ov} open ${tmp}/exact`,
      `${ov} openat2 ${tmp}/secret-dir/a/b`,
      `${ov} mmap ${tmp}/pathfile`,
      'cd / && cat etc/gshadow > /dev/null',
    ].join(' && ');
    const r = await c.run(script);
    assert.equal(r.code, 0, r.stderr);
    const want = ['/etc/shadow', '/proc/self/environ', `${tmp}/home/alice/.ssh/id_rsa`, `${tmp}/keys/host_rsa_key`, `${tmp}/secret-dir/a/b`, '/etc/gshadow'];
    await waitFor(() => want.every((p) => opens().some((e) => e.path === p)) && opens().filter((e) => e.path === `${tmp}/exact`).length >= 2, {
      timeoutMs: 30000,
      what: `reads of ${want.join(', ')} (got ${opens().map((e) => e.path).join(', ')})`,
    });
    const byPath = (p: string) => opens().filter((e) => e.path === p);
    const exact = byPath(`${tmp}/exact`);
    assert.equal(exact.length, 2, 'open(2) and the path that was not in memory at entry');
    assert.ok(exact.every((e) => e.process.exe.endsWith('/open-variants')));
    assert.equal(byPath(`${tmp}/secret-dir/a/b`).length, 2, 'cat (openat) and openat2');
    const shadow = byPath('/etc/shadow')[0];
    assert.deepEqual(shadow.flags?.[0], 'O_RDONLY');
    assert.match(shadow.process.exe, /\/cat$/, 'the reader, from the exec that started it');
    assert.ok((shadow.process.ancestors?.length ?? 0) > 0, 'with its lineage');
    for (const p of ['/etc/hostname', `${tmp}/home/alice/.ssh2/x`, `${tmp}/keys/host_rsa_key.pub`, `${tmp}/exactly`, `${tmp}/plain`]) {
      assert.equal(byPath(p).length, 0, `${p} is not listed`);
    }
  });

  it("attributes a new container's first exec (its start command) to that container", async () => {
    // the id map scanned the tree once (for the first container) and will not again
    // within this test: the new cgroup can only be found through its process
    ids.lookup('1');
    const d = createTestContainer();
    others.push(d);
    mineIds.add(d.cgroupId);
    const p = d.spawn('/bin/sleep', ['3']);
    try {
      const ev = await waitFor(() => events.find((e) => e.kind === 'exec' && e.cgroup?.id === d.cgroupId && e.process.args[0] === '/bin/sleep'), { timeoutMs: 30000, what: 'the start command' });
      // spelled as the kernel resolves it (on Debian /bin is a link to /usr/bin)
      assert.equal(ev.process.exe, realpathSync('/bin/sleep'));
      assert.equal(ev.cgroup?.path, d.path);
      assert.equal(ev.container?.id, d.containerId);
      assert.equal(ev.workload?.id, `host/container/${d.containerId}`);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('syscall sets name the process that made the calls', async () => {
    const r = await c.run(`python3 -c 'import os, time
for i in range(50): os.sched_yield()
time.sleep(2.5)'`);
    assert.equal(r.code, 0, r.stderr);
    const ev = await waitFor(() => events.find((e) => e.kind === 'syscall' && e.cgroup?.id === c.cgroupId && e.names.includes('sched_yield')) as EventOf<'syscall'> | undefined, {
      timeoutMs: 30000,
      what: 'a syscall set with sched_yield',
    });
    assert.equal(ev.aggregated, true);
    assert.ok(ev.process.pid > 0);
    assert.match(ev.process.exe, /python3/);
    assert.match(ev.process.args[0], /python3$/);
  });
});
