// Syscall alerts name the process that made the call (bpftrace aggregates per container
// and interval, keeping the last caller per call), say that the source aggregated, and
// list as "expected" the calls of the same family this workload makes.
import assert from 'node:assert/strict';
import { syscallFamily } from '../../models/baseline/syscall-family.ts';
import { learnThenStable, one, syscalls, testEngine } from '../support/events.ts';
import type { EventOf } from '../../collector/event.ts';

const aggregated = (names: string[], pid: number, exe: string): EventOf<'syscall'> => ({ ...syscalls(names, { pid, exe, args: [exe] }), aggregated: true });

describe('syscall alerts', () => {
  it('families: calls for one purpose belong together; unknown calls to none', () => {
    assert.equal(syscallFamily('fadvise64'), 'file');
    assert.equal(syscallFamily('pread64'), 'file');
    assert.equal(syscallFamily('ptrace'), 'debug');
    assert.equal(syscallFamily('unshare'), 'escape');
    assert.equal(syscallFamily('recvmmsg'), 'net');
    assert.equal(syscallFamily('syscall_999'), undefined);
  });

  it('"expected one of" lists the known calls of the new call\'s family, nothing unrelated', () => {
    const e = testEngine();
    const t = learnThenStable(e, [syscalls(['read', 'pread64', 'openat', 'prctl', 'futex', 'epoll_wait', 'sendto'])]);
    // mknodat: a file call whose first use means something (fadvise64's would raise nothing, ordinary.ts)
    const a = one(e, aggregated(['read', 'mknodat'], 77, '/usr/bin/sqlite3'), t);
    assert.equal(a.rule, 'unexpected-syscall');
    assert.deepEqual([...a.baseline.expected].sort(), ['openat', 'pread64', 'read']);
    const d = one(e, aggregated(['ptrace'], 78, '/usr/bin/gdb'), t + 1);
    assert.equal(d.rule, 'dangerous-syscall');
    assert.deepEqual(d.baseline.expected, [], 'no debugging calls known: no list of look-alike names (pread64, prctl)');
  });

  it('the alert carries the process the source named, and says how it was chosen', () => {
    const e = testEngine();
    const t = learnThenStable(e, [syscalls(['read'])]);
    const a = one(e, aggregated(['read', 'unshare'], 4321, '/usr/bin/unshare'), t);
    assert.equal(a.rule, 'dangerous-syscall');
    assert.equal(a.process.pid, 4321);
    assert.equal(a.process.exe, '/usr/bin/unshare');
    assert.match(a.summary, /unshare by \/usr\/bin\/unshare/);
    assert.match(a.description, /per container and interval: pid 4321 \(\/usr\/bin\/unshare\) is the process that last made these calls/);
  });

  it('when the source could not name a process, the alert says so instead of an empty name', () => {
    const e = testEngine();
    const t = learnThenStable(e, [syscalls(['read'])]);
    const a = one(e, aggregated(['mount'], 0, ''), t);
    assert.match(a.summary, /mount by a process of this container \(the source aggregated the calls\)/);
    assert.match(a.description, /did not say which process made them/);
  });
});
