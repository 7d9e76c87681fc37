// The procfs poller on a fake /proc tree in a temp dir: exec (new pid, exec in place,
// pid reuse), listeners and connections mapped through socket inodes, dedup, inbound
// connections ignored, the missed-exec estimate, and the small /proc parsers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcfsScanner } from '../../../../collector/sources/procfs/scanner.ts';
import { parseCgroup, parseCmdline, parseStat, parseUid } from '../../../../collector/sources/procfs/proc.ts';
import type { RuntimeEvent, EventOf } from '../../../../collector/event.ts';
import { MemoryStats } from '../../../../collector/stats.ts';

const CID = 'a'.repeat(64);
const CG = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234abcd_0000_1111_2222_333344445555.slice/cri-containerd-${CID}.scope`;
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (i: number, local: string, remote: string, st: string, inode: number) =>
  `   ${i}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

class FakeProc {
  readonly root = mkdtempSync(join(tmpdir(), 'hw-fakeproc-'));
  forks = 100;
  constructor() {
    this.writeStat();
  }
  writeStat() {
    writeFileSync(join(this.root, 'stat'), `cpu  1 2 3\nbtime 1700000000\nprocesses ${this.forks}\n`);
  }
  addProc(p: { pid: number; comm: string; ppid: number; start: number; exe: string; args: string[]; flags?: number; cgroup?: string; sockets?: number[] }) {
    const d = join(this.root, String(p.pid));
    rmSync(d, { recursive: true, force: true });
    mkdirSync(join(d, 'fd'), { recursive: true });
    mkdirSync(join(d, 'ns'));
    mkdirSync(join(d, 'net'));
    this.setStat(p.pid, p.comm, p.ppid, p.start, p.flags ?? 0);
    writeFileSync(join(d, 'cmdline'), p.args.map((a) => a + '\0').join(''));
    writeFileSync(join(d, 'status'), `Name:\t${p.comm}\nUid:\t1000\t1000\t1000\t1000\n`);
    writeFileSync(join(d, 'cgroup'), `4:memory:/x\n0::${p.cgroup ?? CG}\n`);
    symlinkSync(p.exe, join(d, 'exe'));
    symlinkSync('/srv', join(d, 'cwd'));
    symlinkSync('net:[4026531840]', join(d, 'ns', 'net'));
    symlinkSync('/dev/null', join(d, 'fd', '0'));
    (p.sockets ?? []).forEach((ino, i) => symlinkSync(`socket:[${ino}]`, join(d, 'fd', String(3 + i))));
    this.setNet(p.pid, '');
  }
  setStat(pid: number, comm: string, ppid: number, start: number, flags = 0) {
    const rest = [ppid, pid, pid, 0, -1, flags, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, start, 1000, 100];
    writeFileSync(join(this.root, String(pid), 'stat'), `${pid} (${comm}) S ${rest.join(' ')}\n`);
  }
  setNet(pid: number, tcpRows: string, udpRows = '') {
    const d = join(this.root, String(pid), 'net');
    writeFileSync(join(d, 'tcp'), TCP_HEADER + tcpRows);
    writeFileSync(join(d, 'tcp6'), TCP_HEADER);
    writeFileSync(join(d, 'udp'), TCP_HEADER + udpRows);
    writeFileSync(join(d, 'udp6'), TCP_HEADER);
  }
  /** every process shares one netns: write the same tables everywhere */
  setAllNet(pids: number[], tcpRows: string, udpRows = '') {
    for (const p of pids) this.setNet(p, tcpRows, udpRows);
  }
  remove(pid: number) {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
  }
  cleanup() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

const of = <K extends RuntimeEvent['kind']>(evs: RuntimeEvent[], k: K) => evs.filter((e): e is EventOf<K> => e.kind === k);

describe('procfs scanner (fake /proc)', () => {
  let fp: FakeProc;
  let stats: MemoryStats;
  const scanner = (reportExisting = true) =>
    new ProcfsScanner({ procRoot: fp.root, node: 'n1', exec: true, net: true, reportExisting, maxAncestors: 4, stats });
  beforeEach(() => {
    fp = new FakeProc();
    stats = new MemoryStats();
  });
  afterEach(() => fp.cleanup());

  it('reports processes with exe, args, uid, cwd, cgroup, container and exec time from starttime', () => {
    fp.addProc({ pid: 10, comm: 'init', ppid: 0, start: 1, exe: '/sbin/init', args: ['/sbin/init'], cgroup: '/' });
    fp.addProc({ pid: 20, comm: 'sleep', ppid: 10, start: 500, exe: '/usr/bin/sleep', args: ['sleep', '7'] });
    fp.addProc({ pid: 2, comm: 'kthreadd', ppid: 0, start: 0, exe: '/none', args: [], flags: 0x00200000 });
    const evs = scanner().poll(1);
    const execs = of(evs, 'exec');
    assert.deepEqual(execs.map((e) => e.process.pid), [10, 20]); // kernel thread skipped
    const e = execs[1];
    assert.deepEqual(e.process, {
      pid: 20,
      ppid: 10,
      exe: '/usr/bin/sleep',
      args: ['sleep', '7'],
      uid: 1000,
      cwd: '/srv',
      ancestors: [{ pid: 10, exe: '/sbin/init', args: ['/sbin/init'] }],
    });
    assert.equal(e.time, 1700000000000 + 5000);
    assert.deepEqual(e.cgroup, { path: CG });
    assert.deepEqual(e.container, { id: CID, runtime: 'containerd' });
    assert.equal(e.node, 'n1');
    assert.equal(e.source, 'procfs');
  });

  it('reportExisting=false reports only what starts after the first poll', () => {
    fp.addProc({ pid: 10, comm: 'init', ppid: 0, start: 1, exe: '/sbin/init', args: ['/sbin/init'] });
    const s = scanner(false);
    assert.equal(s.poll(1).length, 0);
    fp.addProc({ pid: 30, comm: 'curl', ppid: 10, start: 900, exe: '/usr/bin/curl', args: ['curl', 'x'] });
    assert.deepEqual(s.poll(2).map((e) => `${e.kind}:${e.process.pid}`), ['exec:30']);
  });

  it('exec in place (comm change with a new exe) is reported; a rename alone is not; pid reuse is a new process', () => {
    fp.addProc({ pid: 40, comm: 'sh', ppid: 1, start: 10, exe: '/usr/bin/dash', args: ['sh', '-c', 'exec sleep 9'] });
    const s = scanner();
    assert.equal(s.poll(1).length, 1);
    fp.addProc({ pid: 40, comm: 'sleep', ppid: 1, start: 10, exe: '/usr/bin/sleep', args: ['sleep', '9'] });
    const ex = s.poll(2);
    assert.deepEqual(ex.map((e) => e.process.exe), ['/usr/bin/sleep']);
    assert.equal(ex[0].time, 2);
    fp.setStat(40, 'renamed', 1, 10);
    assert.equal(s.poll(3).length, 0);
    fp.addProc({ pid: 40, comm: 'renamed', ppid: 1, start: 99, exe: '/usr/bin/sleep', args: ['sleep', '9'] });
    assert.deepEqual(s.poll(4).map((e) => e.kind), ['exec']);
  });

  it('listeners and outbound connections map to pids through socket inodes, once each', () => {
    fp.addProc({ pid: 50, comm: 'srv', ppid: 1, start: 10, exe: '/usr/bin/srv', args: ['srv'], sockets: [1001, 1003] });
    fp.addProc({ pid: 60, comm: 'cli', ppid: 50, start: 20, exe: '/usr/bin/cli', args: ['cli'], sockets: [1002] });
    const tcp =
      row(0, '0100007F:1F90', '00000000:0000', '0A', 1001) + // 127.0.0.1:8080 LISTEN (srv)
      row(1, '0100007F:D431', '0606427F:115C', '01', 1002) + // → 127.66.6.6:4444 ESTABLISHED (cli)
      row(2, '0100007F:1F90', '0100007F:D000', '01', 1003) + // accepted on 8080: inbound, not a connect
      row(3, '0100007F:D432', '0606427F:115C', '06', 0); // TIME_WAIT, no owner
    const udp = row(0, '00000000:0035', '00000000:0000', '07', 1004); // bound UDP :53, owner unknown
    fp.setAllNet([50, 60], tcp, udp);
    const s = scanner();
    const evs = s.poll(1);
    const l = of(evs, 'listen');
    assert.deepEqual(l.map((e) => [e.process.pid, e.proto, e.addr, e.port]), [[50, 'tcp', '127.0.0.1', 8080]]);
    const c = of(evs, 'connect');
    assert.deepEqual(c.map((e) => [e.process.pid, e.proto, e.dstAddr, e.dstPort]), [[60, 'tcp', '127.66.6.6', 4444]]);
    assert.equal(c[0].container?.id, CID);
    assert.deepEqual(s.poll(2), []);
    assert.equal(s.counters.fdScans, 1); // nothing new: no second fd scan
  });

  it('a UDP socket bound by a known process is a udp listener; connected UDP is a connect', () => {
    fp.addProc({ pid: 70, comm: 'dns', ppid: 1, start: 10, exe: '/usr/bin/dns', args: ['dns'], sockets: [2001, 2002] });
    fp.setNet(70, '', row(0, '00000000:0035', '00000000:0000', '07', 2001) + row(1, '0100007F:C000', '08080808:0035', '01', 2002));
    const evs = scanner().poll(1);
    assert.deepEqual(of(evs, 'listen').map((e) => [e.proto, e.port]), [['udp', 53]]);
    assert.deepEqual(of(evs, 'connect').map((e) => [e.proto, e.dstAddr, e.dstPort]), [['udp', '8.8.8.8', 53]]);
  });

  it('counts forks it never saw as an upper bound of missed execs', () => {
    fp.addProc({ pid: 10, comm: 'init', ppid: 0, start: 1, exe: '/sbin/init', args: ['/sbin/init'] });
    const s = scanner();
    s.poll(1);
    fp.forks += 5; // five tasks created…
    fp.writeStat();
    fp.addProc({ pid: 11, comm: 'a', ppid: 10, start: 2, exe: '/bin/a', args: ['a'] }); // …one seen
    s.poll(2);
    assert.equal(s.counters.missedUpperBound, 4);
    assert.equal(s.counters.forks, 5);
    assert.equal(s.counters.polls, 2);
    assert.deepEqual(stats.snap.dropped.procfs, { exec_missed_upper_bound: 4 });
  });

  it('exited processes are forgotten; malformed /proc/net rows are counted', () => {
    fp.addProc({ pid: 10, comm: 'init', ppid: 0, start: 1, exe: '/sbin/init', args: ['/sbin/init'] });
    fp.setNet(10, '   0: 0100007F:1F90 garbage\n');
    const s = scanner();
    s.poll(1);
    assert.equal(stats.snap.bad.procfs.procnet_short_row, 1);
    fp.remove(10);
    assert.deepEqual(s.poll(2), []);
    fp.addProc({ pid: 10, comm: 'init', ppid: 0, start: 1, exe: '/sbin/init', args: ['/sbin/init'] });
    assert.equal(s.poll(3).length, 1); // same pid and start after being gone: seen afresh
  });

  it('survives a process vanishing mid-read (missing files)', () => {
    fp.addProc({ pid: 80, comm: 'x', ppid: 1, start: 5, exe: '/bin/x', args: ['x'] });
    for (const f of ['cmdline', 'status', 'cgroup', 'exe', 'cwd']) unlinkSync(join(fp.root, '80', f));
    const [e] = scanner().poll(1);
    assert.equal(e.process.exe, 'x'); // falls back to comm
    assert.deepEqual(e.process.args, ['x']);
    assert.equal(e.cgroup, undefined);
  });
});

describe('procfs parsers', () => {
  it('parseStat cuts comm at the last parenthesis', () => {
    const s = parseStat('77 (a) (b) c) S 5 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 4242 1 1');
    assert.deepEqual(s, { comm: 'a) (b) c', ppid: 5, start: 4242, kthread: false });
    assert.equal(parseStat('garbage'), undefined);
  });
  it('parseCgroup prefers the v2 line (hybrid hosts), falls back to name=systemd', () => {
    assert.equal(parseCgroup('9:name=systemd:/a\n4:memory:/b\n0::/kubepods.slice/x\n'), '/kubepods.slice/x');
    assert.equal(parseCgroup('9:name=systemd:/system.slice/a.service\n4:memory:/b\n'), '/system.slice/a.service');
    assert.equal(parseCgroup('4:memory:/b\n'), undefined);
  });
  it('parseCmdline and parseUid', () => {
    assert.deepEqual(parseCmdline('sleep\u00007\u0000'), ['sleep', '7']);
    assert.deepEqual(parseCmdline('a\u0000\u0000b\u0000'), ['a', '', 'b']);
    assert.deepEqual(parseCmdline(''), []);
    assert.equal(parseUid('Name:\tx\nUid:\t0\t1\t2\t3\n'), 0);
  });
});
