// Fan-out folding: one actor reaching many new targets in a burst is one finding
// (field report "one scan, a thousand alerts"), distinct techniques stay their own.
import assert from 'node:assert/strict';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { Alert, AlertUpdate } from '../../models/alert.ts';
import type { Engine } from '../../models/engine.ts';
import { DEFAULT_FANOUT, portRanges } from '../../models/fanout.ts';
import { connect, exec, fire, learnThenStable, listen, open, syscalls, testEngine, write, MIN } from '../support/events.ts';

const steady: RuntimeEvent[] = [
  exec('/usr/bin/app', { parents: ['/usr/bin/containerd-shim-runc-v2'] }),
  exec('/bin/sh', { args: ['sh', '-c', 'date'], parents: ['/usr/bin/app'] }),
  exec('/bin/date', { parents: ['/bin/sh'] }),
  exec('/bin/cat', { parents: ['/bin/sh'] }),
  write('/var/lib/app/state.db'),
  open('/etc/app/config.yaml'),
  listen(8080),
  connect('10.0.0.5', 5432),
  syscalls(['read', 'write', 'epoll_wait', 'futex', 'accept4'], { pid: 0 }),
];

/** every update of a run, and the distinct alerts they carry */
function run(e: Engine, evs: { ev: RuntimeEvent; at: number }[]): { updates: AlertUpdate[]; alerts: Alert[] } {
  const updates: AlertUpdate[] = [];
  for (const { ev, at } of evs) updates.push(...fire(e, ev, at));
  return { updates, alerts: [...new Set(updates.map((u) => u.alert))] };
}

describe('models/fanout', () => {
  it('a port scan of 1..1024 on one address is one finding with the port range', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const scan = Array.from({ length: 1024 }, (_, i) => ({ ev: connect('10.0.0.9', i + 1, { pid: 777, exe: '/usr/bin/python3' }), at: t + i }));
    const { updates, alerts } = run(e, scan);
    assert.equal(alerts.length, 1, alerts.map((a) => a.summary).join('\n'));
    const a = alerts[0];
    assert.equal(updates.filter((u) => u.isNew).length, 1);
    assert.equal(updates.filter((u) => u.folded).length, 1023);
    assert.equal(a.rule, 'unexpected-connect');
    assert.equal(a.count, 1024);
    assert.equal(a.evidence.distinct, 1024);
    assert.equal(a.evidence.ports, '1-1024');
    assert.deepEqual(a.evidence.addresses, ['10.0.0.9']);
    assert.equal(a.evidence.items?.length, DEFAULT_FANOUT.maxItems, 'the item list is bounded');
    assert.equal(a.evidence.item, 'tcp 10.0.0.9:1', 'the first target stays the item');
    assert.match(a.summary, /connected to 1024 destinations .*10\.0\.0\.9 port\(s\) 1-1024/);
    assert.match(a.description, /Fan-out: 1024 distinct items/);
    assert.equal(a.time, new Date(t).toISOString());
    assert.equal(a.lastSeen, new Date(t + 1023).toISOString());
  });

  it('a sweep of one port over many addresses is one finding with the address set', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, Array.from({ length: 20 }, (_, i) => ({ ev: connect(`10.0.1.${i + 1}`, 22, { pid: 777 }), at: t + i * 100 })));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].evidence.ports, '22');
    assert.equal(alerts[0].evidence.addresses?.length, 20);
  });

  it('two processes scanning are two findings; a pause longer than the window starts a new one', () => {
    const e = testEngine({ engine: { fanOut: { ...DEFAULT_FANOUT, windowMs: MIN } } });
    const t = learnThenStable(e, steady);
    const evs = [
      ...Array.from({ length: 10 }, (_, i) => ({ ev: connect('10.0.0.9', 100 + i, { pid: 1 }), at: t + i })),
      ...Array.from({ length: 10 }, (_, i) => ({ ev: connect('10.0.0.9', 200 + i, { pid: 2 }), at: t + i })),
      // the same process again, after more than a minute of silence
      ...Array.from({ length: 10 }, (_, i) => ({ ev: connect('10.0.0.9', 300 + i, { pid: 1 }), at: t + 2 * MIN + i })),
    ];
    const { alerts } = run(e, evs);
    assert.deepEqual(alerts.map((a) => a.evidence.ports), ['100-109', '200-209', '300-309']);
  });

  it('a slow scan stays one finding while each probe comes within the window of the last', () => {
    const e = testEngine({ engine: { fanOut: { ...DEFAULT_FANOUT, windowMs: MIN } } });
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, Array.from({ length: 30 }, (_, i) => ({ ev: connect('10.0.0.9', 1000 + i, { pid: 5 }), at: t + i * 50_000 })));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].evidence.distinct, 30);
  });

  it('a repeat of a folded target counts into the finding without growing its targets', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { updates, alerts } = run(e, [
      { ev: connect('10.0.0.9', 1, { pid: 5 }), at: t },
      { ev: connect('10.0.0.9', 2, { pid: 5 }), at: t + 1 },
      { ev: connect('10.0.0.9', 2, { pid: 5 }), at: t + 2 },
      // another process, a target the finding covers: repeats of one dedup key fold too
      { ev: connect('10.0.0.9', 2, { pid: 6 }), at: t + 3 },
    ]);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].count, 4);
    assert.equal(alerts[0].evidence.distinct, 2);
    assert.deepEqual(updates.map((u) => [u.isNew, u.folded ?? false]), [[true, false], [false, true], [false, false], [false, false]]);
  });

  it('a recon burst from one shell is one unexpected-exec listing the binaries, at its highest severity', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const shell = { ppid: 900, ancestors: [{ exe: '/usr/bin/bash', pid: 900 }, { exe: '/usr/bin/app', pid: 1 }] };
    const { alerts } = run(e, [
      // a known binary from a parent it never had: medium on its own
      { ev: exec('/bin/cat', { ...shell, pid: 901, args: ['cat', '/etc/passwd'] }), at: t },
      { ev: exec('/usr/bin/id', { ...shell, pid: 902 }), at: t + 100 },
      { ev: exec('/usr/bin/whoami', { ...shell, pid: 903 }), at: t + 200 },
      { ev: exec('/usr/bin/uname', { ...shell, pid: 904, args: ['uname', '-a'] }), at: t + 300 },
      { ev: exec('/usr/bin/hostname', { ...shell, pid: 905 }), at: t + 400 },
    ]);
    assert.equal(alerts.length, 1, alerts.map((a) => a.summary).join('\n'));
    const a = alerts[0];
    assert.equal(a.rule, 'unexpected-exec');
    assert.equal(a.severity, 'high', 'the finding takes the highest severity it folded');
    assert.deepEqual(a.evidence.items, ['/bin/cat', '/usr/bin/id', '/usr/bin/whoami', '/usr/bin/uname', '/usr/bin/hostname']);
    // cat is known (a new parent), the others are new: the summary says which is which
    assert.equal(
      a.summary,
      '5 executions by /usr/bin/bash (pid 900): 4 new to this workload (/usr/bin/id, /usr/bin/whoami, /usr/bin/uname, /usr/bin/hostname); 1 known binary from /usr/bin/app, a parent it never had in the baseline (/bin/cat)',
    );
  });

  it('distinct techniques in a burst keep their own alerts', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const shell = { ppid: 900, ancestors: [{ exe: '/usr/bin/bash', pid: 900 }] };
    const { alerts } = run(e, [
      { ev: exec('/usr/bin/id', { ...shell, pid: 902 }), at: t },
      { ev: exec('/usr/bin/apt-get', { ...shell, pid: 903, args: ['apt-get', 'install', 'nmap'] }), at: t + 100 },
      { ev: exec('/tmp/x', { ...shell, pid: 904 }), at: t + 200 },
      { ev: exec('/usr/bin/uname', { ...shell, pid: 905 }), at: t + 300 },
    ]);
    assert.deepEqual(alerts.map((a) => a.rule).sort(), ['exec-writable-path', 'package-manager', 'unexpected-exec']);
    assert.deepEqual(alerts.find((a) => a.rule === 'unexpected-exec')?.evidence.items, ['/usr/bin/id', '/usr/bin/uname']);
  });

  it('new syscalls of successive intervals (no process: the container is the actor) are one finding', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, [
      { ev: syscalls(['read', 'personality', 'memfd_create'], { pid: 0 }), at: t },
      { ev: syscalls(['read', 'personality', 'keyctl'], { pid: 0 }), at: t + 10_000 },
      { ev: syscalls(['write', 'sendfile', 'ptrace'], { pid: 0 }), at: t + 20_000 },
    ]);
    const novelty = alerts.filter((a) => a.rule === 'unexpected-syscall');
    assert.equal(novelty.length, 1);
    assert.deepEqual(novelty[0].evidence.syscalls, ['personality', 'memfd_create', 'keyctl']);
    assert.equal(novelty[0].evidence.distinct, 3);
    assert.match(novelty[0].summary, /personality, memfd_create, keyctl/);
    // ptrace is a technique of its own
    assert.deepEqual(alerts.filter((a) => a.rule !== 'unexpected-syscall').map((a) => a.rule), ['dangerous-syscall']);
  });

  it('writes, reads and listeners fold per process', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, [
      ...Array.from({ length: 50 }, (_, i) => ({ ev: write(`/srv/extract/f${i}.dat`, 'create', { pid: 40 }), at: t + i })),
      ...Array.from({ length: 3 }, (_, i) => ({ ev: listen(9000 + i, { pid: 41 }), at: t + i })),
    ]);
    assert.deepEqual(alerts.map((a) => [a.rule, a.evidence.distinct]), [
      ['unexpected-file-write', 50],
      ['unexpected-listen', 3],
    ]);
    assert.equal(alerts[1].evidence.ports, '9000-9002');
  });

  it('a window of 0 turns folding off', () => {
    const e = testEngine({ engine: { fanOut: { ...DEFAULT_FANOUT, windowMs: 0 } } });
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, Array.from({ length: 5 }, (_, i) => ({ ev: connect('10.0.0.9', i + 1, { pid: 5 }), at: t + i })));
    assert.equal(alerts.length, 5);
  });

  it('open findings are bounded', () => {
    const e = testEngine({ engine: { fanOut: { ...DEFAULT_FANOUT, maxOpen: 10 } } });
    const t = learnThenStable(e, steady);
    for (let p = 0; p < 100; p++) assert.equal(fire(e, connect('10.0.0.9', 10_000 + p, { pid: 1000 + p }), t)[0].isNew, true);
    // the first actor's finding was forgotten: its next target is a new alert
    const [u] = fire(e, connect('10.0.0.9', 2, { pid: 1000 }), t + 1);
    assert.equal(u.isNew, true);
  });

  it('a process tree folds: apt-get and the dpkg it runs are one package-manager finding', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, [
      { ev: exec('/usr/bin/apt-get', { pid: 50, ppid: 40, args: ['apt-get', 'install', 'nmap'] }), at: t },
      { ev: exec('/usr/bin/dpkg', { pid: 51, ppid: 50, args: ['dpkg', '--status'] }), at: t + 100 },
      { ev: exec('/usr/bin/dpkg', { pid: 52, ppid: 51, args: ['dpkg', '-i'] }), at: t + 200 },
    ]);
    const pm = alerts.filter((a) => a.rule === 'package-manager');
    assert.equal(pm.length, 1);
    assert.deepEqual(pm[0].evidence.items, ['apt-get', 'dpkg']);
    assert.match(pm[0].summary, /\(\+1 more: dpkg\)$/);
  });

  it('one technique per finding: unshare and the mount its shell runs fold, a ptrace in the same tree does not', () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const { alerts } = run(e, [
      { ev: syscalls(['unshare'], { pid: 60, ppid: 59, exe: '/usr/bin/dash' }), at: t },
      { ev: syscalls(['mount'], { pid: 61, ppid: 60, exe: '/usr/bin/mount' }), at: t + 1000 },
      { ev: syscalls(['umount2'], { pid: 62, ppid: 60, exe: '/usr/bin/umount' }), at: t + 2000 },
      { ev: syscalls(['ptrace'], { pid: 63, ppid: 60, exe: '/usr/bin/strace' }), at: t + 3000 },
    ]);
    const ds = alerts.filter((a) => a.rule === 'dangerous-syscall');
    assert.deepEqual(ds.map((a) => [a.mitre.technique, a.evidence.syscalls]), [
      ['T1611', ['unshare', 'mount', 'umount2']],
      ['T1055.008', ['ptrace']],
    ]);
  });

  it("a new shell's own commands fold into the shell's finding; a service's unrelated descendants do not", () => {
    const e = testEngine();
    const t = learnThenStable(e, steady);
    const svc = { ppid: 1, ancestors: [{ exe: '/usr/bin/app', pid: 1 }] };
    const { alerts } = run(e, [
      // a shell started from outside the service's tree (kubectl exec): new lineage for sh
      { ev: exec('/bin/sh', { pid: 70, ppid: 69, ancestors: [{ exe: '/usr/bin/runc', pid: 69 }] }), at: t },
      { ev: exec('/usr/bin/cp', { pid: 71, ppid: 70, ancestors: [{ exe: '/bin/sh', pid: 70 }] }), at: t + 100 },
      { ev: exec('/usr/bin/chmod', { pid: 72, ppid: 70, ancestors: [{ exe: '/bin/sh', pid: 70 }] }), at: t + 200 },
      // the service itself runs a new binary, then a grandchild of the service another one
      { ev: exec('/usr/bin/curl', { pid: 80, ...svc }), at: t + 300 },
      { ev: exec('/usr/bin/wget', { pid: 82, ppid: 81, ancestors: [{ exe: '/bin/sh', pid: 81 }, { exe: '/usr/bin/app', pid: 1 }] }), at: t + 400 },
    ]);
    assert.deepEqual(
      alerts.map((a) => a.evidence.items ?? [a.evidence.item]),
      [['/bin/sh', '/usr/bin/cp', '/usr/bin/chmod'], ['/usr/bin/curl'], ['/usr/bin/wget']],
    );
  });

  it('port ranges', () => {
    assert.equal(portRanges([80, 1, 2, 3, 5, 443, 444]), '1-3,5,80,443-444');
    assert.equal(portRanges([]), '');
  });
});
