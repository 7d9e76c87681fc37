// Conformance: every Tetragon sample in ../shared/fixtures decodes; the fields that
// matter are asserted. Plus shapes the samples lack (tcp_connect, listen, openat…),
// written from the documented schema, and fuzzing.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTetragon } from '../../../../collector/sources/tetragon/decode.ts';
import { parseContainerUri, podWorkload } from '../../../../collector/sources/tetragon/k8s.ts';
import type { RuntimeEvent, EventOf } from '../../../../collector/event.ts';
import { SHARED_FIXTURES, requireSharedFixtures } from '../../../support/env.ts';

const DIR = join(SHARED_FIXTURES, 'tetragon');
const lines = (f: string) => readFileSync(join(DIR, f), 'utf8').split('\n').filter((l) => l.trim() !== '');
function one(v: unknown): RuntimeEvent {
  const r = decodeTetragon(v, 'local-node');
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.events.length, 1);
  return r.events[0];
}
function as<K extends RuntimeEvent['kind']>(e: RuntimeEvent, k: K): EventOf<K> {
  assert.equal(e.kind, k);
  return e as EventOf<K>;
}

describe('tetragon decoder: shared fixtures', () => {
  beforeEach(function () {
    requireSharedFixtures(this);
  });

  it('decodes every line of docs-examples.jsonl and testdata-events.jsonl', () => {
    for (const f of ['docs-examples.jsonl', 'testdata-events.jsonl']) {
      for (const [i, l] of lines(f).entries()) {
        const r = decodeTetragon(JSON.parse(l), 'n');
        assert.ok(r.ok, `${f}:${i + 1}: ${JSON.stringify(r)}`);
      }
    }
  });

  it('decodes every security-observability-book sample', () => {
    const dir = join(DIR, 'security-observability-book');
    for (const f of readdirSync(dir)) {
      const r = decodeTetragon(JSON.parse(readFileSync(join(dir, f), 'utf8')), 'n');
      assert.ok(r.ok, `${f}: ${JSON.stringify(r)}`);
    }
  });

  it('security_file_permission with MAY_WRITE → file_write, pod metadata kept', () => {
    const e = as(one(JSON.parse(lines('docs-examples.jsonl')[0])), 'file_write');
    assert.equal(e.path, '/etc/passwd');
    assert.equal(e.op, 'write');
    assert.equal(e.time, Date.parse('2024-04-14T02:18:14.376Z'));
    assert.equal(e.node, 'tetragon-dev-control-plane');
    assert.equal(e.process.pid, 64746);
    assert.equal(e.process.ppid, 64615);
    assert.equal(e.process.exe, '/bin/vi');
    assert.deepEqual(e.process.args, ['/bin/vi', '/etc/passwd']);
    assert.equal(e.process.ancestors?.[0].exe, '/bin/sh');
    assert.deepEqual(e.container, {
      id: '6b742e38ee3a212239e6d48b2954435a407af44b9a354bdf540db22f460ab40e',
      runtime: 'containerd',
      name: 'file-access',
      image: 'docker.io/library/busybox:latest',
      imageDigest: 'sha256:c3839dd800b9eb7603340509769c43e146a74c63dca3045a8e7dc8ee07e53966',
    });
    assert.equal(e.workload?.id, 'default/Pod/file-access');
    assert.equal(e.workload?.pod, 'file-access');
    assert.equal(e.workload?.container, 'file-access');
    assert.equal(e.enrichment, 'complete');
  });

  it('process_exec: args split shell-like; exec without clone keeps the same pid as parent', () => {
    const e = as(one(JSON.parse(lines('docs-examples.jsonl')[14])), 'exec');
    assert.equal(e.process.exe, '/usr/bin/curl');
    assert.deepEqual(e.process.args, ['/usr/bin/curl', 'https://ebpf.io/applications/#tetragon']);
    assert.equal(e.process.pid, 52699);
    assert.equal(e.process.ppid, 52699);
    assert.deepEqual(e.process.ancestors?.[0].args, ['/bin/bash', '-c', 'curl https://ebpf.io/applications/#tetragon']);
    assert.equal(e.process.cwd, '/');
    assert.equal(e.process.uid, 0);
  });

  it('process_exit and process_throttle produce no events', () => {
    for (const n of [11, 15, 16]) {
      const r = decodeTetragon(JSON.parse(lines('docs-examples.jsonl')[n]), 'n');
      assert.ok(r.ok);
      assert.equal(r.events.length, 0);
    }
  });

  it('kprobes on non-file functions become named calls, syscall wrappers lose their prefix', () => {
    const e = as(one(JSON.parse(lines('docs-examples.jsonl')[9])), 'syscall');
    assert.deepEqual(e.names, ['setns']);
    const c = as(one(JSON.parse(lines('docs-examples.jsonl')[8])), 'syscall');
    assert.deepEqual(c.names, ['commit_creds']);
  });

  it('a Deployment is recognised from pod-template-hash; time falls back to start_time', () => {
    const e = one(JSON.parse(lines('testdata-events.jsonl')[1]));
    assert.equal(e.workload?.id, 'default/Deployment/deathstar');
    assert.equal(e.workload?.pod, 'deathstar-6f87496b94-qdlh8');
    assert.equal(e.workload?.image, 'docker.io/cilium/starwars:latest');
    const first = one(JSON.parse(lines('testdata-events.jsonl')[0]));
    assert.equal(first.time, Date.parse('2022-10-18T03:16:18.273Z'));
    assert.equal(first.node, 'my-node');
  });

  it('old schema: docker:// ids, path without leading slash, __x64_sys_write → file_write', () => {
    const book = (f: string) => JSON.parse(readFileSync(join(DIR, 'security-observability-book', f), 'utf8'));
    const w = as(one(book('process_kprobe.json')), 'file_write');
    assert.equal(w.path, '/etc/passwd');
    const r = as(one(book('cat_process_kprobe.json')), 'file_open');
    assert.equal(r.path, '/usr/share/elasticsearch/config/elasticsearch.keystore');
    assert.equal(r.container?.runtime, 'docker');
    assert.equal(r.container?.imageDigest, 'sha256:ff3aa5862fd17f8695984609743f4523188984adbcd25cf5ac4224b71084558c');
    // no pod: only the 24-char container-id prefix
    const m = one(book('merlin-agent-sh.json'));
    assert.deepEqual(m.container, { id: 'a51959123c3ba99a9f50a700', runtime: 'unknown' });
    assert.equal(m.workload, undefined);
    assert.deepEqual(m.process.args, ['/bin/sh', '-c', '7z a s3nsitiv3.7z ../ops_bank_accounts/']);
  });
});

// shapes the upstream samples lack, from api/v1/README.md (KprobeSock, KprobeSockaddr…)
const proc = { pid: 4242, uid: 1000, cwd: '/app', binary: '/usr/bin/curl', arguments: 'http://x' };
const kprobe = (function_name: string, args: unknown[], extra: Record<string, unknown> = {}) => ({
  process_kprobe: { process: proc, parent: { pid: 1, binary: '/bin/sh' }, function_name, args, ...extra },
  node_name: 'n1',
  time: '2025-01-01T00:00:00.123456789Z',
});

describe('tetragon decoder: kprobe mapping', () => {
  it('tcp_connect sock_arg → connect', () => {
    const sock = { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 'IPPROTO_TCP', saddr: '10.0.0.2', daddr: '10.96.0.1', sport: 40000, dport: 443, cookie: '18446', state: 'TCP_SYN_SENT' };
    const e = as(one(kprobe('tcp_connect', [{ sock_arg: sock }])), 'connect');
    assert.deepEqual([e.proto, e.dstAddr, e.dstPort], ['tcp', '10.96.0.1', 443]);
    assert.equal(e.time, Date.parse('2025-01-01T00:00:00.123Z'));
    assert.equal(e.process.uid, 1000);
  });
  it('security_socket_connect sockaddr_arg → connect; udp by function', () => {
    const e = as(one(kprobe('security_socket_connect', [{ sockaddr_arg: { family: 'AF_INET6', addr: '::1', port: 53 } }])), 'connect');
    assert.deepEqual([e.dstAddr, e.dstPort], ['::1', 53]);
  });
  it('inet_csk_listen_start → listen', () => {
    const e = as(one(kprobe('inet_csk_listen_start', [{ sock_arg: { family: 'AF_INET', protocol: 'IPPROTO_TCP', saddr: '0.0.0.0', sport: 8080 } }])), 'listen');
    assert.deepEqual([e.proto, e.addr, e.port], ['tcp', '0.0.0.0', 8080]);
  });
  it('openat flags decide write vs open', () => {
    const w = as(one(kprobe('__x64_sys_openat', [{ int_arg: -100 }, { string_arg: '/etc/shadow' }, { int_arg: 0x241 }])), 'file_write');
    assert.equal(w.path, '/etc/shadow');
    const r = as(one(kprobe('sys_openat', [{ int_arg: -100 }, { string_arg: '/etc/hosts' }, { int_arg: 0 }])), 'file_open');
    assert.equal(r.path, '/etc/hosts');
  });
  it('security_file_permission MAY_READ → file_open; fd_install flags', () => {
    as(one(kprobe('security_file_permission', [{ file_arg: { path: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }, { int_arg: 4 }])), 'file_open');
    as(one(kprobe('fd_install', [{ int_arg: 3 }, { file_arg: { path: '/etc/x', flags: 'O_WRONLY|O_CREAT' } }])), 'file_write');
    as(one(kprobe('fd_install', [{ int_arg: 3 }, { file_arg: { path: '/etc/x' } }])), 'file_open');
  });
  it('rename, unlink and chmod', () => {
    const r = as(one(kprobe('security_path_rename', [{ path_arg: { path: '/a' } }, { path_arg: { path: '/b' } }])), 'file_write');
    assert.deepEqual([r.op, r.path, r.newPath], ['rename', '/a', '/b']);
    assert.equal(as(one(kprobe('__x64_sys_unlinkat', [{ int_arg: 1 }, { string_arg: '/tmp/x' }])), 'file_write').op, 'unlink');
    assert.equal(as(one(kprobe('security_path_chmod', [{ path_arg: { path: '/bin/x' } }])), 'file_write').op, 'chmod');
  });
  it('write without a path stays a syscall; tracepoints and lsm', () => {
    assert.deepEqual(as(one(kprobe('__x64_sys_write', [{ int_arg: 1 }])), 'syscall').names, ['write']);
    const tp = { process_tracepoint: { process: proc, subsys: 'syscalls', event: 'sys_enter_ptrace', args: [] }, time: '2025-01-01T00:00:00Z' };
    assert.deepEqual(as(one(tp), 'syscall').names, ['ptrace']);
    const lsm = { process_lsm: { process: proc, function_name: 'file_open', args: [{ file_arg: { path: '/etc/passwd' } }] }, time: '2025-01-01T00:00:00Z' };
    assert.equal(as(one(lsm), 'file_open').path, '/etc/passwd');
  });
  it('ancestors list follows the parent; uid omitted means 0 (protojson zero values)', () => {
    const v = {
      process_exec: {
        process: { pid: 9, binary: '/bin/x' },
        parent: { pid: 8, binary: '/bin/sh' },
        ancestors: [{ pid: 7, binary: '/usr/bin/containerd-shim' }, { binary: '/sbin/init' }],
      },
      time: '2025-01-01T00:00:00Z',
    };
    const e = one(v);
    assert.deepEqual(e.process.ancestors?.map((a) => a.exe), ['/bin/sh', '/usr/bin/containerd-shim', '/sbin/init']);
    assert.equal(e.process.uid, 0);
    assert.equal(e.node, 'local-node');
  });
  it('cached parent args and pod metadata are never shared between events', () => {
    const v = {
      process_kprobe: {
        process: { ...proc, exec_id: 'e1', pod: { namespace: 'ns', name: 'p', container: { id: 'containerd://' + 'f'.repeat(64), name: 'c' } } },
        parent: { exec_id: 'p1', pid: 1, binary: '/bin/sh', arguments: '-c "x y"' },
        function_name: 'tcp_connect',
        args: [{ sock_arg: { daddr: '1.1.1.1', dport: 1 } }],
      },
      time: '2025-01-01T00:00:00Z',
    };
    const a = one(v);
    a.process.ancestors![0].args![1] = 'MUTATED';
    a.container!.name = 'MUTATED';
    a.workload!.name = 'MUTATED';
    const b = one(v);
    assert.deepEqual(b.process.ancestors![0].args, ['/bin/sh', '-c', 'x y']);
    assert.equal(b.container!.name, 'c');
    assert.equal(b.workload!.name, 'p');
  });

  it('rate_limit_info reports dropped events; unknown keys are bad', () => {
    const r = decodeTetragon({ rate_limit_info: { number_of_dropped_process_events: '42' }, time: '2025-01-01T00:00:00Z' }, 'n');
    assert.ok(r.ok);
    assert.equal(r.dropped, 42);
    const u = decodeTetragon({ something_new: {} }, 'n');
    assert.ok(!u.ok);
    assert.equal(u.reason, 'unknown_event');
  });
});

// The decoder builds its objects as literals and copies cached pod metadata field by
// field (cheaper than spreads and property-by-property adds): the fields, their values
// and their order must stay what the plain construction gives.
describe('tetragon decoder: literal fast paths keep every field, in order', () => {
  const pod = (i: number, full: boolean) => ({
    namespace: 'shop',
    name: `api-7c9f8d6b5d-x2k${i}p`,
    ...(full ? { uid: `uid-${i}` } : {}),
    container: {
      id: `containerd://${i.toString(16).padStart(64, '0')}`,
      name: 'api',
      ...(full ? { image: { id: `registry.example/api@sha256:${'d'.repeat(64)}`, name: 'registry.example/api:1.4.2' } } : {}),
    },
    pod_labels: { app: 'api', 'pod-template-hash': '7c9f8d6b5d' },
    workload: 'api',
    ...(full ? { workload_kind: 'Deployment' } : {}),
  });
  const event = (i: number, full: boolean) => ({
    process_kprobe: {
      process: { exec_id: `lit-e${i}`, pid: 10 + i, uid: 1000, cwd: '/app', binary: '/usr/bin/curl', arguments: `-s http://x/${i}`, pod: pod(i, full) },
      parent: { exec_id: `lit-p${i}`, pid: 1, binary: '/bin/sh', arguments: `-c "curl -s http://x/${i}"` },
      function_name: 'tcp_connect',
      args: [{ sock_arg: { protocol: 'IPPROTO_TCP', daddr: '10.0.0.1', dport: 443 } }],
    },
    node_name: 'n1',
    time: '2025-01-01T00:00:00.123456789Z',
  });
  // what the decoder derives, built the plain way
  function expected(i: number, full: boolean) {
    const p = pod(i, full);
    const container: Record<string, unknown> = parseContainerUri(p.container.id);
    container.name = p.container.name;
    if (full) {
      container.image = 'registry.example/api:1.4.2';
      container.imageDigest = `sha256:${'d'.repeat(64)}`;
    }
    const { ref, kindKnown } = podWorkload({
      namespace: p.namespace,
      pod: p.name,
      labels: p.pod_labels,
      workload: p.workload,
      kind: full ? 'Deployment' : undefined,
      container: container as never,
    });
    if (full) ref.podUid = `uid-${i}`;
    return { container, workload: ref, enrichment: kindKnown ? 'complete' : 'partial' };
  }

  it('events, processes and copied pod metadata, first seen and cached', () => {
    // (caches are keyed by container id and exec_id: a different pod needs a different id)
    for (const [i, full] of [[7, true], [8, false]] as const) {
      for (let round = 0; round < 2; round++) {
        const e = one(event(i, full)) as EventOf<'connect'>;
        assert.deepEqual(Object.keys(e), ['kind', 'proto', 'dstAddr', 'dstPort', 'time', 'node', 'source', 'process', 'enrichment', 'container', 'workload']);
        assert.equal(JSON.stringify(e.process), JSON.stringify({
          pid: 10 + i, exe: '/usr/bin/curl', args: ['/usr/bin/curl', '-s', `http://x/${i}`], uid: 1000, cwd: '/app', ppid: 1,
          ancestors: [{ exe: '/bin/sh', pid: 1, args: ['/bin/sh', '-c', `curl -s http://x/${i}`] }],
        }));
        const x = expected(i, full);
        assert.equal(JSON.stringify(e.container), JSON.stringify(x.container), `full=${full} round=${round}`);
        assert.equal(JSON.stringify(e.workload), JSON.stringify(x.workload), `full=${full} round=${round}`);
        assert.equal(e.enrichment, x.enrichment);
      }
    }
  });

  it('processes without cwd, parent or pid keep the plain order', () => {
    const v = { process_exec: { process: { pid: 9, binary: '/bin/x' }, parent: { binary: '/bin/sh' } }, time: '2025-01-01T00:00:00Z' };
    const e = one(v);
    assert.equal(JSON.stringify(e), JSON.stringify({
      kind: 'exec', time: Date.parse('2025-01-01T00:00:00Z'), node: 'local-node', source: 'tetragon',
      process: { pid: 9, exe: '/bin/x', args: ['/bin/x'], uid: 0, ancestors: [{ exe: '/bin/sh', args: ['/bin/sh'] }] },
      enrichment: 'partial',
    }));
  });

  it('thousands of containers and parents: each event gets its own pod and parent arguments', () => {
    for (const pass of [0, 1]) {
      for (let i = 100; i < 6100; i += pass === 0 ? 1 : 7) {
        const e = one(event(i, true));
        assert.equal(e.workload?.pod, `api-7c9f8d6b5d-x2k${i}p`);
        assert.equal(e.container?.id, i.toString(16).padStart(64, '0'));
        assert.deepEqual(e.process.ancestors?.[0].args, ['/bin/sh', '-c', `curl -s http://x/${i}`]);
      }
    }
  });
});

// fuzzing: nothing throws; every failure is one of a few fixed reason tokens
const REASONS = new Set(['not_an_object', 'unknown_event', 'bad_value', 'missing_field']);
function rand(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  switch (k) {
    case 0: return null;
    case 1: return r() * 1e6 - 5e5;
    case 2: return ['', 'x', '/etc/passwd', '2025-01-01T00:00:00Z', 'AF_INET', '\u0000', '9'.repeat(30)][Math.floor(r() * 7)];
    case 3: return r() < 0.5;
    case 4: return Math.floor(r() * 70000);
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const keys = ['process_exec', 'process_kprobe', 'process', 'pid', 'binary', 'arguments', 'pod', 'container', 'args', 'sock_arg', 'file_arg', 'function_name', 'time', 'int_arg', 'daddr', 'dport', 'parent', 'ancestors', 'rate_limit_info', 'image', 'id', 'workload', 'pod_labels', 'namespace', 'name'];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) o[keys[Math.floor(r() * keys.length)]] = randomValue(r, depth + 1);
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
      if (d < 0.05) continue; // drop a field
      o[k] = d < 0.12 ? randomValue(r) : mutate(x, r);
    }
    return o;
  }
  return v;
}

describe('tetragon decoder: fuzz', () => {
  it('random values never throw and fail with a known reason', () => {
    const r = rand(1);
    for (let i = 0; i < 5000; i++) {
      const out = decodeTetragon(randomValue(r), 'n');
      if (!out.ok) assert.ok(REASONS.has(out.reason), out.reason);
    }
  });
  it('mutated fixture events never throw and fail with a known reason', function () {
    requireSharedFixtures(this);
    const r = rand(2);
    const samples = [...lines('docs-examples.jsonl'), ...lines('testdata-events.jsonl')].map((l) => JSON.parse(l) as unknown);
    samples.push(kprobe('tcp_connect', [{ sock_arg: { daddr: '1.2.3.4', dport: 80 } }]));
    for (let i = 0; i < 3000; i++) {
      const out = decodeTetragon(mutate(samples[i % samples.length], r), 'n');
      if (!out.ok) assert.ok(REASONS.has(out.reason), out.reason);
      else for (const e of out.events) assert.ok(typeof e.process.exe === 'string' && Number.isInteger(e.process.pid));
    }
  });
});
