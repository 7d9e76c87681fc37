import assert from 'node:assert/strict';
import { Grouper, type AuditEvent, type GrouperOptions } from '../../../../collector/sources/auditd/group.ts';

function collect(lines: string[], opts?: Partial<GrouperOptions>, finish = true) {
  const events: AuditEvent[] = [];
  const bad: string[] = [];
  let gaps = 0;
  const g = new Grouper(
    { event: (e) => events.push(e), bad: (r) => bad.push(r), gap: (n) => (gaps += n) },
    { timeoutMs: 2000, serialWindow: 64, maxInFlight: 100, ...opts },
  );
  for (const l of lines) g.push(l, 0);
  if (finish) g.flushAll();
  return { events, bad, gaps: () => gaps, g };
}

const SYS = (serial: number, nr = 59, extra = '') =>
  `type=SYSCALL msg=audit(1700000000.${String(serial % 1000).padStart(3, '0')}:${serial}): arch=c000003e syscall=${nr} success=yes exit=0 a0=ffffff9c a1=2 a2=3 a3=4 items=2 ppid=10 pid=${serial + 1000} auid=1000 uid=1000 gid=1000 comm="x" exe="/bin/x" key="k"${extra}`;
const REC = (serial: number, type: string, body: string) =>
  `type=${type} msg=audit(1700000000.${String(serial % 1000).padStart(3, '0')}:${serial}): ${body}`;

describe('auditd event grouper', () => {
  it('groups interleaved records of two events by stamp and closes on PROCTITLE', () => {
    const { events } = collect(
      [
        SYS(1),
        SYS(2),
        REC(1, 'EXECVE', 'argc=2 a0="ls" a1="-l"'),
        REC(2, 'CWD', 'cwd="/b"'),
        REC(1, 'CWD', 'cwd="/a"'),
        REC(1, 'PATH', 'item=0 name="/bin/ls" nametype=NORMAL'),
        REC(1, 'PROCTITLE', 'proctitle=6C73002D6C'),
        REC(2, 'PROCTITLE', 'proctitle="cat"'),
      ],
      {},
      false,
    );
    assert.equal(events.length, 2);
    const [a, b] = events;
    assert.equal(a.serial, 1);
    assert.deepEqual(a.args, ['ls', '-l']);
    assert.equal(a.cwd, '/a');
    assert.equal(a.proctitle, 'ls\0-l');
    assert.deepEqual(a.paths, [{ item: 0, name: '/bin/ls', nametype: 'NORMAL' }]);
    assert.equal(a.syscall?.exe, '/bin/x');
    assert.equal(a.syscall?.pid, 1001);
    assert.equal(a.syscall?.key, 'k');
    assert.equal(b.cwd, '/b');
    assert.equal(b.proctitle, 'cat');
  });

  it('closes on EOE and never assumes SYSCALL comes first', () => {
    const { events } = collect(
      [REC(5, 'PATH', 'item=0 name="/x" nametype=NORMAL'), REC(5, 'CWD', 'cwd="/"'), SYS(5), REC(5, 'EOE', '')],
      {},
      false,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0].complete, true);
    assert.equal(events[0].cwd, '/');
    assert.equal(events[0].paths.length, 1);
  });

  it('without EOE/PROCTITLE closes once the serial window has moved on', () => {
    const lines = [SYS(10), REC(10, 'CWD', 'cwd="/"')];
    for (let s = 11; s <= 20; s++) lines.push(SYS(s));
    const { events } = collect(lines, { serialWindow: 5 }, false);
    assert.deepEqual(
      events.map((e) => e.serial),
      [10, 11, 12, 13, 14],
    );
  });

  it('closes stale events by wall clock in live mode', () => {
    const events: AuditEvent[] = [];
    const g = new Grouper({ event: (e) => events.push(e), bad: () => {}, gap: () => {} }, { timeoutMs: 100, serialWindow: 64, maxInFlight: 10 });
    g.push(SYS(1), 1000);
    g.flushStale(1050);
    assert.equal(events.length, 0);
    g.flushStale(1100);
    assert.equal(events.length, 1);
    assert.equal(g.inFlight, 0);
  });

  it('bounds the events in flight', () => {
    const lines: string[] = [];
    for (let s = 0; s < 50; s++) lines.push(SYS(s * 1000 + 1)); // sparse serials: no window close… 
    const { events, g } = collect(lines, { maxInFlight: 4, serialWindow: 1 << 30 }, false);
    assert.ok(g.inFlight <= 4);
    assert.equal(events.length, 46);
  });

  it('reassembles split EXECVE arguments (aN_len, aN[i]) over several records', () => {
    const big = Buffer.from('x'.repeat(30) + 'é').toString('hex').toUpperCase();
    const { events } = collect([
      SYS(7),
      REC(7, 'EXECVE', `argc=3 a0="prog" a1_len=${big.length} a1[0]=${big.slice(0, 20)}`),
      REC(7, 'EXECVE', ` a1[1]=${big.slice(20, 41)}`),
      REC(7, 'EXECVE', ` a1[2]=${big.slice(41)} a2=2D2D666C6167`),
    ]);
    assert.deepEqual(events[0].args, ['prog', 'x'.repeat(30) + 'é', '--flag']);
  });

  it('counts serial gaps (lost records) and handles u32 rollover', () => {
    const a = collect([SYS(1), SYS(2), SYS(12), SYS(13)]);
    assert.equal(a.gaps(), 9);
    const b = collect([SYS(4294967294), SYS(4294967295), SYS(0), SYS(1)]);
    assert.equal(b.gaps(), 0);
    assert.equal(b.events.length, 4);
  });

  it('ignores records of other types and DAEMON_* (own serials)', () => {
    const { events, gaps } = collect([
      SYS(1),
      'type=DAEMON_START msg=audit(1700000000.000:3292): op=start ver=3.0.9 format=raw res=success',
      REC(2, 'USER_START', "pid=1 uid=0 msg='op=PAM:session_open res=success'"),
      SYS(3),
    ]);
    assert.equal(events.length, 2);
    assert.equal(gaps(), 0);
  });

  it('counts malformed lines and SYSCALLs without required fields', () => {
    const { bad, events } = collect(['not audit', 'type=SYSCALL msg=audit(x): a=1', REC(1, 'SYSCALL', 'arch=c000003e'), '   ']);
    assert.deepEqual(bad, ['no_type', 'bad_stamp', 'bad_syscall']);
    assert.equal(events.length, 1); // the group exists, with no syscall
    assert.equal(events[0].syscall, undefined);
  });

  it('keys by node too', () => {
    const { events } = collect([`node=a ${SYS(1)}`, `node=b ${SYS(1)}`]);
    assert.deepEqual(
      events.map((e) => e.node),
      ['a', 'b'],
    );
  });
});
