import assert from 'node:assert/strict';
import { Grouper, type AuditEvent } from '../../../../collector/sources/auditd/group.ts';
import { Mapper, resolve } from '../../../../collector/sources/auditd/map.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';

let serial = 100;
/** build one event from record bodies; SYSCALL first */
function ev(sys: string, ...recs: [string, string][]): AuditEvent {
  const s = serial++;
  const stamp = `1700000000.123:${s}`;
  let out: AuditEvent | undefined;
  const g = new Grouper({ event: (e) => (out = e), bad: (r) => assert.fail(r), gap: () => {} });
  g.push(`type=SYSCALL msg=audit(${stamp}): arch=c000003e ${sys} ppid=1 pid=42 auid=1000 uid=1000 gid=0 comm="app" exe="/usr/bin/app" key=(null)`);
  for (const [t, body] of recs) g.push(`type=${t} msg=audit(${stamp}): ${body}`);
  g.flushAll();
  return out!;
}

function map(m: Mapper, e: AuditEvent): RuntimeEvent[] {
  const out: RuntimeEvent[] = [];
  m.map(e, 'node-1', out);
  return out;
}

describe('auditd event mapping', () => {
  it('execve → exec with exe from SYSCALL, args from EXECVE, cwd, pid/ppid/uid, time', () => {
    const [e] = map(
      new Mapper(),
      ev('syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2', ['EXECVE', 'argc=2 a0="ls" a1=2D6C2061'], ['CWD', 'cwd="/srv"'], ['PROCTITLE', 'proctitle=6C73']),
    );
    assert.equal(e.kind, 'exec');
    assert.equal(e.time, 1700000000123);
    assert.equal(e.source, 'auditd');
    assert.equal(e.node, 'node-1');
    assert.equal(e.enrichment, 'partial');
    assert.deepEqual(e.process, { pid: 42, ppid: 1, uid: 1000, exe: '/usr/bin/app', args: ['ls', '-l a'], cwd: '/srv' });
  });

  it('failed execve is not an exec', () => {
    const m = new Mapper();
    assert.deepEqual(map(m, ev('syscall=59 success=no exit=-2 a0=1 a1=2 a2=3 a3=4 items=0')), []);
  });

  it('connect inet/inet6 (and EINPROGRESS) → connect; unix → connect unix; netlink → nothing', () => {
    const m = new Mapper();
    const [a] = map(m, ev('syscall=42 success=no exit=-115 a0=5 a1=0 a2=10 a3=0 items=0', ['SOCKADDR', 'saddr=0200115C7F4206060000000000000000']));
    assert.deepEqual(a.kind === 'connect' && [a.proto, a.dstAddr, a.dstPort], ['tcp', '127.66.6.6', 4444]);
    const [b] = map(m, ev('syscall=42 success=yes exit=0 a0=5 a1=0 a2=1c a3=0 items=0', ['SOCKADDR', 'saddr=0A0001BB000000002001067C2E8800000000000000000001000000000']));
    assert.ok(b === undefined || b.kind === 'syscall'); // odd-length hex is not a sockaddr
    const [c] = map(m, ev('syscall=42 success=yes exit=0 a0=5 a1=0 a2=1c a3=0 items=0', ['SOCKADDR', 'saddr=0A0001BB000000002001067C2E880000000000000000000100000000']));
    assert.deepEqual(c.kind === 'connect' && [c.dstAddr, c.dstPort], ['2001:67c:2e88::1', 443]);
    const udp = new Mapper({ socketProto: (pid, fd, port) => (pid === 42 && fd === 5 && port === 53 ? 'udp' : undefined) });
    const [dns] = map(udp, ev('syscall=42 success=yes exit=0 a0=5 a1=0 a2=10 a3=0 items=0', ['SOCKADDR', 'saddr=020000350A60000A0000000000000000']));
    assert.deepEqual(dns.kind === 'connect' && [dns.proto, dns.dstAddr, dns.dstPort], ['udp', '10.96.0.10', 53]);
    const [d] = map(m, ev('syscall=42 success=yes exit=0 a0=5 a1=0 a2=1c a3=0 items=0', ['SOCKADDR', 'saddr=01002F72756E2F646F636B65722E736F636B00']));
    assert.deepEqual(d.kind === 'connect' && [d.proto, d.dstAddr, d.dstPort], ['unix', '/run/docker.sock', 0]);
    assert.deepEqual(map(m, ev('syscall=42 success=yes exit=0 a0=5 a1=0 a2=c a3=0 items=0', ['SOCKADDR', 'saddr=100000000000000000000000'])), []);
    assert.deepEqual(map(m, ev('syscall=42 success=no exit=-111 a0=5 a1=0 a2=10 a3=0 items=0', ['SOCKADDR', 'saddr=0200115C7F4206060000000000000000'])), []);
  });

  it('bind then listen on the same pid:fd → listen with the bound address', () => {
    const m = new Mapper();
    assert.deepEqual(map(m, ev('syscall=49 success=yes exit=0 a0=3 a1=0 a2=10 a3=0 items=0', ['SOCKADDR', 'saddr=0200B26E7F0000010000000000000000'])), []);
    const [l] = map(m, ev('syscall=50 success=yes exit=0 a0=3 a1=1 a2=0 a3=0 items=0'));
    assert.deepEqual(l.kind === 'listen' && [l.proto, l.addr, l.port], ['tcp', '127.0.0.1', 45678]);
    // no bind seen and no live lookup: only the syscall name is known
    const [s] = map(m, ev('syscall=50 success=yes exit=0 a0=9 a1=1 a2=0 a3=0 items=0'));
    assert.deepEqual(s.kind === 'syscall' && s.names, ['listen']);
    // bound to port 0: the live mapper asks /proc for the port the kernel chose
    const live = new Mapper({ listenPort: (pid, fd) => (pid === 42 && fd === 4 ? 39999 : undefined) });
    map(live, ev('syscall=49 success=yes exit=0 a0=4 a1=0 a2=1c a3=0 items=0', ['SOCKADDR', 'saddr=0A000000000000000000000000000000000000000000000100000000']));
    const [p] = map(live, ev('syscall=50 success=yes exit=0 a0=4 a1=1 a2=0 a3=0 items=0'));
    assert.deepEqual(p.kind === 'listen' && [p.addr, p.port], ['::1', 39999]);
  });

  it('file writes: create/write/read-open, rename, unlink, chmod; relative to cwd', () => {
    const m = new Mapper();
    const [c] = map(
      m,
      ev('syscall=257 success=yes exit=4 a0=ffffff9c a1=1 a2=80241 a3=1b6 items=2', ['CWD', 'cwd="/tmp/hw"'], ['PATH', 'item=0 name="w/" nametype=PARENT'], ['PATH', 'item=1 name=772F6E65772066696C65 nametype=CREATE']),
    );
    assert.deepEqual(c.kind === 'file_write' && [c.op, c.path], ['create', '/tmp/hw/w/new file']);
    const [w] = map(m, ev('syscall=2 success=yes exit=3 a0=1 a1=241 a2=1b6 a3=0 items=1', ['CWD', 'cwd="/"'], ['PATH', 'item=0 name="/etc/passwd" nametype=NORMAL']));
    assert.deepEqual(w.kind === 'file_write' && [w.op, w.path], ['write', '/etc/passwd']);
    const [r] = map(m, ev('syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=1', ['PATH', 'item=0 name="/etc/shadow" nametype=NORMAL']));
    assert.deepEqual(r.kind === 'file_open' && r.path, '/etc/shadow');
    const [rn] = map(
      m,
      ev(
        'syscall=82 success=yes exit=0 a0=1 a1=2 a2=0 a3=0 items=4',
        ['CWD', 'cwd="/home/u"'],
        ['PATH', 'item=0 name="/etc/" nametype=PARENT'],
        ['PATH', 'item=1 name="/etc/" nametype=PARENT'],
        ['PATH', 'item=2 name="/etc/a" nametype=DELETE'],
        ['PATH', 'item=3 name="b" nametype=CREATE'],
      ),
    );
    assert.deepEqual(rn.kind === 'file_write' && [rn.op, rn.path, rn.newPath], ['rename', '/etc/a', '/home/u/b']);
    const [u] = map(m, ev('syscall=263 success=yes exit=0 a0=ffffff9c a1=1 a2=0 a3=0 items=2', ['CWD', 'cwd="/x"'], ['PATH', 'item=0 name="d/" nametype=PARENT'], ['PATH', 'item=1 name="d/f" nametype=DELETE']));
    assert.deepEqual(u.kind === 'file_write' && [u.op, u.path], ['unlink', '/x/d/f']);
    // unlinkat relative to a directory fd (not AT_FDCWD): the name stays relative
    const [u2] = map(m, ev('syscall=263 success=yes exit=0 a0=5 a1=1 a2=0 a3=0 items=2', ['CWD', 'cwd="/x"'], ['PATH', 'item=1 name="f" nametype=DELETE']));
    assert.deepEqual(u2.kind === 'file_write' && u2.path, 'f');
    const [ch] = map(m, ev('syscall=90 success=yes exit=0 a0=1 a1=1c0 a2=0 a3=0 items=1', ['CWD', 'cwd="/x"'], ['PATH', 'item=0 name="../y" nametype=NORMAL']));
    assert.deepEqual(ch.kind === 'file_write' && [ch.op, ch.path], ['chmod', '/y']);
    const [fch] = map(m, ev('syscall=91 success=yes exit=0 a0=3 a1=1c0 a2=0 a3=0 items=0'));
    assert.deepEqual(fch.kind === 'syscall' && fch.names, ['fchmod']);
  });

  it('other syscalls → syscall {names}; args from PROCTITLE; aarch64 numbers', () => {
    const m = new Mapper();
    const [p] = map(m, ev('syscall=101 success=yes exit=0 a0=10 a1=1 a2=0 a3=0 items=0', ['PROCTITLE', 'proctitle=676462002D7000313233']));
    assert.deepEqual(p.kind === 'syscall' && p.names, ['ptrace']);
    assert.deepEqual(p.process.args, ['gdb', '-p', '123']);
    const out: RuntimeEvent[] = [];
    const e = ev('syscall=1 success=yes exit=0 a0=1 a1=1 a2=0 a3=0 items=0');
    e.syscall!.arch = 'c00000b7';
    e.syscall!.nr = 221;
    new Mapper().map(e, 'n', out);
    assert.equal(out[0].kind, 'exec');
  });

  it('carries the cgroup path looked up live', () => {
    const e = ev('syscall=165 success=yes exit=0 a0=1 a1=1 a2=0 a3=0 items=0');
    e.cgroupPath = '/kubepods.slice/x.scope';
    const [m] = map(new Mapper(), e);
    assert.deepEqual(m.cgroup, { path: '/kubepods.slice/x.scope' });
    assert.deepEqual(m.kind === 'syscall' && m.names, ['mount']);
  });

  it('resolves relative names', () => {
    assert.equal(resolve('a/../b', '/x', true), '/x/b');
    assert.equal(resolve('/a//b/', '/x', true), '/a/b/');
    assert.equal(resolve('a', undefined, true), 'a');
  });
});
