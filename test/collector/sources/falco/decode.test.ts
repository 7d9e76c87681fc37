// Conformance: every Falco sample in ../shared/fixtures decodes; the fields that matter
// are asserted. Plus evt.type mappings the samples lack, and fuzzing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFalco, falcoOrigin, parseEndpoint } from '../../../../collector/sources/falco/decode.ts';
import type { RuntimeEvent, EventOf } from '../../../../collector/event.ts';
import { SHARED_FIXTURES, requireSharedFixtures } from '../../../support/env.ts';

const FILE = join(SHARED_FIXTURES, 'falco', 'falco-alerts.jsonl');
const samples = () => readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
const opts = { node: 'local-node', nodeFromEvent: true };
function one(v: unknown, o = opts): RuntimeEvent {
  const r = decodeFalco(v, o);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.events.length, 1);
  return r.events[0];
}
function as<K extends RuntimeEvent['kind']>(e: RuntimeEvent, k: K): EventOf<K> {
  assert.equal(e.kind, k);
  return e as EventOf<K>;
}

describe('falco decoder: shared fixtures', () => {
  beforeEach(function () {
    requireSharedFixtures(this);
  });

  it('decodes all 20 alerts: syscall alerts become events, k8s_audit and internal do not', () => {
    const s = samples();
    assert.equal(s.length, 20);
    const kinds: string[] = [];
    for (const [i, v] of s.entries()) {
      const r = decodeFalco(v, opts);
      assert.ok(r.ok, `line ${i + 1}: ${JSON.stringify(r)}`);
      kinds.push(r.events.map((e) => e.kind).join(',') || '-');
    }
    assert.deepEqual(kinds, [
      '-', '-', '-', '-', '-', '-', // k8s_audit
      'exec', 'exec', 'connect', 'exec', 'exec', 'connect',
      '-', '-', '-', '-', '-', // metrics snapshots
      'exec', '-', 'file_open',
    ]);
  });

  it('Terminal shell in container → exec with pod, container and image', () => {
    const e = as(one(samples()[17]), 'exec');
    assert.equal(e.time, Date.parse('2023-05-25T13:44:05.478Z'));
    assert.equal(e.node, 'falco-xczjd');
    assert.equal(e.process.exe, 'sh');
    assert.deepEqual(e.process.args, ['sh', '-c', 'clear;', '(bash', '||', 'ash', '||', 'sh)']);
    assert.equal(e.process.ancestors?.[0].exe, 'runc');
    assert.deepEqual(e.container, { id: 'ee97d9c4186f', runtime: 'unknown', image: 'docker.io/library/alpine' });
    assert.equal(e.workload?.id, 'default/Pod/kubecon');
    assert.equal(e.workload?.namespace, 'default');
    assert.equal(e.workload?.pod, 'kubecon');
    assert.deepEqual(falcoOrigin(samples()[17]), {
      rule: 'Terminal shell in container',
      priority: 'Critical',
      source: 'syscall',
      tags: ['container', 'mitre_execution', 'shell'],
    });
  });

  it('null fields (<NA>) are absent, not "null"', () => {
    const e = one(samples()[6]);
    assert.equal(e.container?.image, undefined);
    assert.equal(e.process.ancestors, undefined);
  });

  it('Contact K8S API Server → connect to the server side of fd.name; Deployment from the pod name', () => {
    const e = as(one(samples()[8]), 'connect');
    assert.deepEqual([e.proto, e.dstAddr, e.dstPort], ['tcp', '10.96.0.1', 443]);
    assert.equal(e.container?.image, 'devopps/falco-pod-delete:latest');
    assert.equal(e.workload?.id, 'openfaas-fn/Deployment/falco-pod-delete');
    assert.equal(e.workload?.pod, 'falco-pod-delete-7dc9f5fbb8-gbfk7');
  });

  it('Read sensitive file untrusted → file_open with exepath, uid and ancestors; host is no container', () => {
    const e = as(one(samples()[19]), 'file_open');
    assert.equal(e.path, '/etc/shadow');
    assert.equal(e.process.exe, '/usr/bin/cat');
    assert.deepEqual(e.process.args, ['cat', '/etc/shadow']);
    assert.equal(e.process.uid, 0);
    assert.deepEqual(e.process.ancestors?.map((a) => a.exe), ['sudo', 'sudo', 'zsh', 'kitty']);
    assert.equal(e.container, undefined);
    assert.equal(e.workload, undefined);
  });

  it('the node is ours unless nodeFromEvent', () => {
    assert.equal(one(samples()[19], { node: 'me', nodeFromEvent: false }).node, 'me');
    assert.equal(one(samples()[19]).node, 'x86');
  });
});

const alert = (f: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  output: 'x',
  priority: 'Warning',
  rule: 'Some rule',
  source: 'syscall',
  time: '2025-05-07T12:50:34.502309868Z',
  output_fields: { 'proc.exepath': '/usr/bin/x', 'proc.cmdline': 'x -a', 'proc.pid': 77, 'proc.ppid': 7, ...f },
  ...extra,
});

describe('falco decoder: evt.type mapping', () => {
  it('execve → exec with pid and ppid', () => {
    const e = as(one(alert({ 'evt.type': 'execve' })), 'exec');
    assert.equal(e.process.pid, 77);
    assert.equal(e.process.ppid, 7);
  });
  it('openat with write flags → file_write; without → file_open', () => {
    assert.equal(as(one(alert({ 'evt.type': 'openat', 'fd.name': '/etc/x', 'evt.arg.flags': 'O_WRONLY|O_CREAT|O_CLOEXEC' })), 'file_write').path, '/etc/x');
    assert.equal(as(one(alert({ 'evt.type': 'openat', 'fd.name': '/etc/x', 'evt.is_open_write': true })), 'file_write').op, 'write');
    as(one(alert({ 'evt.type': 'open', 'fd.name': '/etc/x', 'evt.arg.flags': 'O_RDONLY' })), 'file_open');
    as(one(alert({ 'evt.type': 'openat', 'fd.name': '/etc/x', 'evt.rawarg.flags': 0x241 })), 'file_write');
  });
  it('rename, unlink, chmod', () => {
    const r = as(one(alert({ 'evt.type': 'renameat2', 'evt.arg.oldpath': '/a', 'evt.arg.newpath': '/b' })), 'file_write');
    assert.deepEqual([r.op, r.path, r.newPath], ['rename', '/a', '/b']);
    assert.equal(as(one(alert({ 'evt.type': 'unlinkat', 'evt.arg.name': '/tmp/q' })), 'file_write').op, 'unlink');
    assert.equal(as(one(alert({ 'evt.type': 'fchmodat', 'evt.arg.filename': '/bin/q' })), 'file_write').op, 'chmod');
  });
  it('connect prefers fd.rip/fd.rport, handles udp, v6 tuples and unix sockets', () => {
    const a = as(one(alert({ 'evt.type': 'connect', 'fd.rip': '10.0.0.9', 'fd.rport': 4444, 'fd.l4proto': 'udp', 'fd.name': '1.1.1.1:1->2.2.2.2:2' })), 'connect');
    assert.deepEqual([a.proto, a.dstAddr, a.dstPort], ['udp', '10.0.0.9', 4444]);
    const b = as(one(alert({ 'evt.type': 'connect', 'fd.name': '::1:43812->::1:443' })), 'connect');
    assert.deepEqual([b.dstAddr, b.dstPort], ['::1', 443]);
    const u = as(one(alert({ 'evt.type': 'connect', 'fd.name': '/var/run/docker.sock', 'fd.type': 'unix' })), 'connect');
    assert.deepEqual([u.proto, u.dstAddr, u.dstPort], ['unix', '/var/run/docker.sock', 0]);
  });
  it('listen/bind → listen', () => {
    const l = as(one(alert({ 'evt.type': 'listen', 'fd.name': '0.0.0.0:8080' })), 'listen');
    assert.deepEqual([l.proto, l.addr, l.port], ['tcp', '0.0.0.0', 8080]);
    assert.equal(as(one(alert({ 'evt.type': 'bind', 'fd.sip': '127.0.0.1', 'fd.sport': 53, 'fd.l4proto': 'udp' })), 'listen').proto, 'udp');
  });
  it('other syscalls → syscall', () => {
    assert.deepEqual(as(one(alert({ 'evt.type': 'ptrace' })), 'syscall').names, ['ptrace']);
    assert.deepEqual(as(one(alert({ 'evt.type': 'connect' })), 'syscall').names, ['connect']); // no address known
  });
  it('container and workload: full id, type, image digest, owner fields', () => {
    const e = one(
      alert({
        'evt.type': 'execve',
        'container.id': 'abcdefabcdef',
        'container.full_id': 'abcdefabcdef'.padEnd(64, '0'),
        'container.type': 'containerd',
        'container.name': 'web',
        'container.image.repository': 'nginx',
        'container.image.tag': '1.27',
        'container.image.digest': 'sha256:' + 'a'.repeat(64),
        'k8s.ns.name': 'prod',
        'k8s.pod.name': 'web-0',
        'k8s.statefulset.name': 'web',
      }),
    );
    assert.deepEqual(e.container, { id: 'abcdefabcdef'.padEnd(64, '0'), runtime: 'containerd', name: 'web', image: 'nginx:1.27', imageDigest: 'sha256:' + 'a'.repeat(64) });
    assert.equal(e.workload?.id, 'prod/StatefulSet/web');
    assert.equal(e.workload?.container, 'web');
  });
  it('time from the gRPC form or evt.time; drop alerts count as dropped', () => {
    const g = one(alert({ 'evt.type': 'execve' }, { time: { seconds: 1700000000, nanos: 5e8 } }));
    assert.equal(g.time, 1700000000500);
    const n = one(alert({ 'evt.type': 'execve', 'evt.time': 1700000000123456789 }, { time: undefined }));
    assert.equal(n.time, 1700000000123);
    const d = decodeFalco({ rule: 'Falco internal: syscall event drop', source: 'internal', output_fields: { n_drops: 12 } }, opts);
    assert.ok(d.ok);
    assert.equal(d.dropped, 12);
  });
  it('bad alerts carry a reason', () => {
    const cases: [unknown, string][] = [
      [[], 'not_an_object'],
      [{ output: 'x' }, 'missing_field'],
      [{ rule: 'r', output_fields: 5 }, 'bad_value'],
      // present but unreadable is bad_value, absent is missing_field (docs/operations.md, Bad input)
      [alert({}, { time: 'nope' }), 'bad_value'],
      [{ rule: 'r', source: 'syscall', output_fields: { 'proc.exepath': '/bin/x' } }, 'missing_field'],
      [{ rule: 'r', source: 'syscall', time: '2025-01-01T00:00:00Z', output_fields: { 'evt.type': 'execve' } }, 'missing_field'],
    ];
    for (const [v, reason] of cases) {
      const r = decodeFalco(v, opts);
      assert.ok(!r.ok);
      assert.equal(r.reason, reason);
    }
  });
  it('parseEndpoint', () => {
    assert.deepEqual(parseEndpoint('[::1]:80'), { addr: '::1', port: 80 });
    assert.deepEqual(parseEndpoint('10.0.0.1:65535'), { addr: '10.0.0.1', port: 65535 });
    assert.equal(parseEndpoint('10.0.0.1:70000'), undefined);
    assert.equal(parseEndpoint(':80'), undefined);
  });
});

// fuzzing: nothing throws; every failure has a known reason
const REASONS = new Set(['not_an_object', 'missing_field', 'bad_value']);
function rand(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const KEYS = ['rule', 'source', 'time', 'output_fields', 'priority', 'evt.type', 'fd.name', 'proc.cmdline', 'proc.exepath', 'proc.name', 'container.id', 'k8s.ns.name', 'k8s.pod.name', 'fd.rport', 'fd.rip', 'evt.time', 'proc.aname[2]', 'user.uid'];
function randomValue(r: () => number, depth = 0): unknown {
  switch (Math.floor(r() * (depth > 3 ? 5 : 7))) {
    case 0: return null;
    case 1: return r() * 1e20 - 1e10;
    case 2: return ['', 'syscall', 'execve', 'connect', 'openat', '1.2.3.4:5->6.7.8.9:10', '/etc/x', 'host', '<NA>', '2025-01-01T00:00:00Z', ':::::'][Math.floor(r() * 11)];
    case 3: return r() < 0.5;
    case 4: return Math.floor(r() * 70000);
    case 5: return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 7); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]] = randomValue(r, depth + 1);
      return o;
    }
  }
}
function mutate(v: unknown, r: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => (r() < 0.1 ? randomValue(r) : mutate(x, r)));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const d = r();
      if (d < 0.06) continue;
      o[k] = d < 0.15 ? randomValue(r) : mutate(x, r);
    }
    return o;
  }
  return v;
}

describe('falco decoder: fuzz', () => {
  it('random and mutated alerts never throw and fail with a known reason', function () {
    const r = rand(3);
    const base: unknown[] = [alert({ 'evt.type': 'connect', 'fd.name': '1.2.3.4:5->6.7.8.9:10' }), alert({ 'evt.type': 'openat', 'fd.name': '/x' })];
    try {
      base.push(...samples());
    } catch {
      /* shared fixtures absent: the synthetic ones still run */
    }
    for (let i = 0; i < 6000; i++) {
      const v = i % 2 === 0 ? randomValue(r) : mutate(base[i % base.length], r);
      const out = decodeFalco(v, opts);
      if (!out.ok) assert.ok(REASONS.has(out.reason), out.reason);
      else for (const e of out.events) assert.ok(typeof e.process.exe === 'string' && e.process.exe !== '' && Number.isFinite(e.time));
    }
  });
});
