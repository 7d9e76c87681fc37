import assert from 'node:assert/strict';
import { ProcessCache, procfsReader, type ProcReader } from '../../../collector/enrich/procs.ts';

function fakeReader(table: Record<number, { ppid: number; exe: string; args?: string[] }>): ProcReader & { reads: number } {
  const r = {
    reads: 0,
    read(pid: number) {
      r.reads++;
      const e = table[pid];
      return e ? { pid, ppid: e.ppid, exe: e.exe, args: e.args ?? [e.exe], cgroupPath: '/x' } : undefined;
    },
  };
  return r;
}

describe('process cache', () => {
  it('builds the ancestry chain, nearest parent first, stopping at pid 1', () => {
    const reader = fakeReader({ 1: { ppid: 0, exe: '/sbin/init' }, 10: { ppid: 1, exe: '/usr/bin/containerd-shim' }, 20: { ppid: 10, exe: '/bin/bash' } });
    const c = new ProcessCache({ reader });
    c.recordExec({ pid: 30, ppid: 20, exe: '/usr/bin/curl', args: ['curl', 'x'] });
    assert.deepEqual(
      c.ancestors(30).map((a) => a.exe),
      ['/bin/bash', '/usr/bin/containerd-shim', '/sbin/init'],
    );
    assert.equal(c.ancestors(30)[0].pid, 20);
  });

  it('resolves a short-lived process from its exec event after /proc is gone', () => {
    const reader = fakeReader({});
    const c = new ProcessCache({ reader });
    c.recordExec({ pid: 5, ppid: 4, exe: '/tmp/x', args: ['/tmp/x', '-q'], cgroupPath: '/kubepods.slice/a' });
    c.recordExec({ pid: 6, ppid: 5, exe: '/bin/true', args: ['true'] });
    assert.deepEqual(c.get(5)?.args, ['/tmp/x', '-q']);
    assert.equal(c.get(5)?.cgroupPath, '/kubepods.slice/a');
    assert.deepEqual(c.ancestors(6), [{ pid: 5, exe: '/tmp/x', args: ['/tmp/x', '-q'] }]);
    assert.equal(reader.reads, 1, 'only pid 4 was looked up in /proc');
  });

  it('an exec replaces the image of a pid but keeps what it did not say', () => {
    const c = new ProcessCache({ reader: fakeReader({}) });
    c.recordExec({ pid: 7, ppid: 3, exe: '/usr/bin/env', args: ['env', 'sh'], cgroupPath: '/a' });
    c.recordExec({ pid: 7, exe: '/bin/sh', args: ['sh'] });
    const e = c.get(7)!;
    assert.equal(e.exe, '/bin/sh');
    assert.equal(e.ppid, 3);
    assert.equal(e.cgroupPath, '/a');
  });

  it('stays within its size bound, evicting the oldest entries', () => {
    const c = new ProcessCache({ reader: fakeReader({}), max: 100, freshMax: 50 });
    for (let pid = 1; pid <= 1000; pid++) c.recordExec({ pid, exe: `/b/${pid}`, args: [] });
    assert.ok(c.size <= 50 && c.size >= 45, String(c.size));
    assert.equal(c.peek(1), undefined);
    assert.equal(c.peek(1000)?.exe, '/b/1000');
    // asked for, each one is kept: then the bound is max (plus the fresh ones)
    for (let pid = 1001; pid <= 2000; pid++) {
      c.recordExec({ pid, exe: `/b/${pid}`, args: [] });
      c.get(pid);
    }
    assert.ok(c.size <= 150 && c.size >= 90, String(c.size));
    assert.equal(c.peek(1001), undefined);
    assert.equal(c.peek(2000)?.exe, '/b/2000');
  });

  it('an exec storm nothing asks about passes through the fresh part and leaves what was asked for', () => {
    const c = new ProcessCache({ reader: fakeReader({}), max: 100, freshMax: 50 });
    c.recordExec({ pid: 10, ppid: 1, exe: '/bin/sh', args: ['sh', 'loop.sh'] });
    c.recordExec({ pid: 11, ppid: 10, exe: '/bin/true', args: ['true'] });
    // the shell's child asked for it (the lineage), the child itself nobody
    assert.deepEqual(c.ancestors(11, 10).map((a) => a.exe), ['/bin/sh']);
    for (let pid = 1000; pid < 11_000; pid++) c.recordExec({ pid, ppid: 10, exe: '/bin/true', args: ['true'] });
    assert.equal(c.peek(10)?.exe, '/bin/sh', 'asked for: kept through 10,000 execs');
    assert.equal(c.peek(11), undefined, 'never asked for: gone after freshMax newer execs');
    assert.equal(c.peek(10_999)?.exe, '/bin/true');
    assert.ok(c.size <= 51, String(c.size));
  });

  it('does not loop on a ppid cycle and honours the depth limit', () => {
    const c = new ProcessCache({ reader: fakeReader({}), maxDepth: 3 });
    c.recordExec({ pid: 2, ppid: 3, exe: '/a', args: [] });
    c.recordExec({ pid: 3, ppid: 2, exe: '/b', args: [] });
    assert.deepEqual(c.ancestors(2).map((a) => a.exe), ['/b']);
    for (let pid = 100; pid < 110; pid++) c.recordExec({ pid, ppid: pid + 1, exe: `/p${pid}`, args: [] });
    assert.equal(c.ancestors(100).length, 3);
  });

  it('reads real /proc entries (this process and its parent)', () => {
    const c = new ProcessCache({ reader: procfsReader() });
    const me = c.get(process.pid);
    assert.ok(me);
    assert.equal(me.ppid, process.ppid);
    assert.ok(me.exe.endsWith('node'), me.exe);
    assert.ok(me.args.length > 0);
    assert.ok(me.cgroupPath?.startsWith('/'));
    assert.ok(c.ancestors(process.pid).length >= 1);
    assert.equal(c.get(2 ** 22 + 12345), undefined);
  });
});

describe('process cache: gone processes', () => {
  it('does not read /proc again for a pid that just was not there', () => {
    let now = 0;
    let reads = 0;
    const c = new ProcessCache({ reader: { read: () => (reads++, undefined) }, missTtlMs: 1000, now: () => now });
    assert.equal(c.get(42), undefined);
    assert.equal(c.get(42), undefined);
    assert.equal(reads, 1);
    now = 1500;
    c.get(42);
    assert.equal(reads, 2);
    c.recordExec({ pid: 42, exe: '/x', args: [] });
    assert.equal(c.get(42)?.exe, '/x');
  });
});

describe('process cache: reused pids', () => {
  // pid 50 exec'd tail at t=1000; much later the pid space wrapped and a subshell of a
  // worker (bash, pid 7, forked without exec) got pid 50; its child execs sha1sum
  const T = 1_000_000;
  function world(started: Record<number, number | undefined>, table: Record<number, { ppid: number; exe: string }>) {
    let reads = 0;
    let starts = 0;
    const reader: ProcReader = {
      read(pid) {
        reads++;
        const e = table[pid];
        return e ? { pid, ppid: e.ppid, exe: e.exe, args: [e.exe] } : undefined;
      },
      startedMs(pid) {
        starts++;
        return started[pid];
      },
    };
    return { reader, reads: () => reads, starts: () => starts };
  }

  it('an entry older than the process now holding its pid is read again: the subshell, not the old tail', () => {
    const w = world({ 50: T + 600_000 }, { 50: { ppid: 7, exe: '/usr/bin/bash' }, 7: { ppid: 1, exe: '/usr/bin/bash' } });
    const c = new ProcessCache({ reader: w.reader, now: () => T + 600_500 });
    c.recordExec({ pid: 50, ppid: 9, exe: '/usr/bin/tail', args: ['tail'], time: T });
    assert.equal(c.current(50, T + 601_000)?.exe, '/usr/bin/bash');
    c.recordExec({ pid: 51, ppid: 50, exe: '/usr/bin/sha1sum', args: ['sha1sum'], time: T + 601_000 });
    assert.deepEqual(c.ancestors(51).map((a) => a.exe), ['/usr/bin/bash', '/usr/bin/bash']);
  });

  it('the same process keeps its entry; a parent gone from /proc keeps its exec entry', () => {
    const w = world({ 60: T - 5 }, {});
    const c = new ProcessCache({ reader: w.reader });
    c.recordExec({ pid: 60, ppid: 1, exe: '/usr/bin/python3', args: ['python3'], time: T });
    assert.equal(c.current(60, T + 900_000)?.exe, '/usr/bin/python3', 'started before its exec: the same process');
    c.recordExec({ pid: 61, ppid: 1, exe: '/usr/bin/sh', args: ['sh'], time: T });
    assert.equal(c.current(61, T + 900_000)?.exe, '/usr/bin/sh', 'gone: its exec still names it');
    assert.equal(w.reads(), 0);
  });

  it('start times are within a second: a process started within the slack is the same', () => {
    const w = world({ 70: T + 1500 }, { 70: { ppid: 1, exe: '/other' } });
    const c = new ProcessCache({ reader: w.reader });
    c.recordExec({ pid: 70, ppid: 1, exe: '/usr/bin/bash', args: ['bash'], time: T });
    assert.equal(c.current(70, T + 2000)?.exe, '/usr/bin/bash');
  });

  it('checks a pid once per reuseCheckMs of event time', () => {
    const w = world({ 80: T - 5 }, {});
    const c = new ProcessCache({ reader: w.reader, reuseCheckMs: 1000 });
    c.recordExec({ pid: 80, ppid: 1, exe: '/usr/bin/bash', args: ['bash'], time: T });
    for (let i = 0; i < 50; i++) c.current(80, T + 10 * i);
    assert.equal(w.starts(), 1);
    c.current(80, T + 1500);
    assert.equal(w.starts(), 2);
  });

  it('the real /proc: a child started now is seen started now, this process long before', async () => {
    const r = procfsReader();
    const { spawn } = await import('node:child_process');
    const child = spawn('sleep', ['5']);
    try {
      const started = r.startedMs!(child.pid!);
      assert.ok(started !== undefined && Math.abs(started - Date.now()) < 2500, `child started ${started} vs now ${Date.now()}`);
      const me = r.startedMs!(process.pid)!;
      assert.ok(me <= started!, 'this process started before its child');
      assert.equal(r.startedMs!(2 ** 22 + 12345), undefined);
    } finally {
      child.kill();
    }
  });
});

describe('process cache: gone processes are forgotten after a while', () => {
  it('an entry of a process gone for goneAfterMs is dropped; a live one and a recent one stay', () => {
    const alive = new Set([1, 2]);
    const reader: ProcReader = { read: () => undefined, startedMs: (pid) => (alive.has(pid) ? 0 : undefined) };
    const T = 5_000_000;
    const c = new ProcessCache({ reader, goneAfterMs: 30_000 });
    c.recordExec({ pid: 1, exe: '/init', args: [], time: T });
    c.recordExec({ pid: 2, ppid: 1, exe: '/usr/bin/bash', args: [], time: T });
    c.recordExec({ pid: 3, ppid: 2, exe: '/usr/bin/tail', args: [], time: T });
    c.current(2, T); // the first pass starts the clock
    c.recordExec({ pid: 4, ppid: 2, exe: '/usr/bin/sh', args: [], time: T + 29_000 });
    c.current(2, T + 31_000);
    assert.equal(c.peek(3), undefined, 'tail: gone and seen before the previous pass');
    assert.equal(c.peek(4)?.exe, '/usr/bin/sh', 'sh: gone, but seen since');
    assert.equal(c.peek(2)?.exe, '/usr/bin/bash');
    // a later child of pid 3 (now someone's subshell) gets no parent rather than tail
    assert.deepEqual(c.ancestors(5, 3), []);
  });
});
