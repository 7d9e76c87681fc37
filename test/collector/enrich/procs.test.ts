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
    const c = new ProcessCache({ reader: fakeReader({}), max: 100 });
    for (let pid = 1; pid <= 1000; pid++) c.recordExec({ pid, exe: `/b/${pid}`, args: [] });
    assert.ok(c.size <= 100 && c.size >= 90, String(c.size));
    assert.equal(c.peek(1), undefined);
    assert.equal(c.peek(1000)?.exe, '/b/1000');
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
