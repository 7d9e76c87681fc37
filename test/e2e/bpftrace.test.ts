// Live: the bpftrace source against the real kernel. Runs processes inside a
// Kubernetes-style test cgroup and checks that each event arrives with the right kind,
// details and container (cgroup id → path → container id). Only events of the test's
// cgroup are looked at; the machine's other activity is ignored.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveEvents } from '../../collector/sources/bpftrace/index.ts';
import { defaults } from '../../collector/sources/bpftrace/config.ts';
import { containerFromCgroupPath } from '../../collector/enrich/cgroup.ts';
import { createProcfsAttribution } from '../../collector/enrich/attribution.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { createLogger } from '../../collector/logger.ts';
import type { EventOf, RuntimeEvent } from '../../collector/event.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';

const listen = (server: Server, port: number, host: string) =>
  new Promise<number>((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => res((server.address() as { port: number }).port));
  });

describe('e2e: bpftrace source (live kernel)', function () {
  this.timeout(120000);
  let c: TestContainer;
  let ac: AbortController;
  let run: Promise<void>;
  let stats: MemoryStats;
  let events: RuntimeEvent[];
  let readyCount = 0;
  /** what the source reported through ctx.observing, in order */
  const observing: boolean[] = [];
  let child: ChildProcess | undefined;
  let tmp: string;
  let trap: Server;
  let trapPort: number;

  const WAIT = { timeoutMs: 30000 };
  const mine = <K extends RuntimeEvent['kind']>(k: K) => events.filter((e) => e.kind === k) as EventOf<K>[];

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    c = createTestContainer();
    // a resident process, as every container has its main process: the canonical spelling
    // of a binary whose process and parent are gone is resolved through one of the
    // container's live processes (binpath.ts); without one it would depend on timing
    // (/bin/true when the agent is slower than the shell). c.remove() kills it.
    c.spawn('sleep', ['3600'], { stdio: 'ignore' });
    tmp = mkdtempSync(join(tmpdir(), 'hw-bpftrace-e2e-'));
    // our own listener on an "unexpected destination"
    trap = createServer((s) => s.destroy());
    trapPort = await listen(trap, 0, '127.66.6.6');
    stats = new MemoryStats();
    events = [];
    ac = new AbortController();
    const log = createLogger({ level: 'warn', write: (l) => process.env.HW_DEBUG && console.error(l) });
    const ctx = { node: 'test-node', signal: ac.signal, log, stats, state: { get: () => undefined, set() {} }, now: Date.now, observing: (ok: boolean) => void observing.push(ok) };
    const cfg = { ...defaults, intervalS: 1, restartMinMs: 100, restartMaxMs: 1000 };
    // the source decodes; exe, argv and lineage come from the attribution step, as in the agent
    const attribution = createProcfsAttribution();
    run = (async () => {
      for await (const batch of liveEvents(cfg, ctx, { onChild: (ch) => (child = ch), onReady: () => readyCount++ })) {
        for (const ev of batch) {
          attribution.enrich(ev);
          if (ev.cgroup?.id === c.cgroupId) events.push(ev);
        }
      }
    })();
    await waitFor(() => readyCount > 0, { timeoutMs: 60000, what: 'bpftrace ready' });
    // the agent's readiness hangs on this: observing only once the probes are attached
    assert.deepEqual(observing, [true]);
  });

  after(async () => {
    ac?.abort();
    await run;
    trap?.close();
    await c?.remove();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reports execs with argv, lineage and the container of the cgroup', async () => {
    const r = await c.run('/bin/true hello; /usr/bin/env true');
    assert.equal(r.code, 0, r.stderr);
    // one spelling whatever was run: the kernel's (on Debian /bin is a link to /usr/bin)
    const t = await waitFor(() => mine('exec').find((e) => e.process.exe === realpathSync('/bin/true')), { ...WAIT, what: 'exec /bin/true' });
    assert.deepEqual(t.process.args, ['/bin/true', 'hello']);
    assert.ok(t.cgroup?.path, 'cgroup id resolved to a path');
    assert.equal(t.cgroup.path, c.path);
    const ci = containerFromCgroupPath(t.cgroup.path);
    assert.equal(ci?.id, c.containerId);
    assert.equal(ci?.runtime, 'containerd');
    assert.equal(ci?.podUid, c.podUid);
    assert.ok((t.process.ppid ?? 0) > 0);
    // the parent shell, spelled the same from its exec event or from /proc: /bin/sh is
    // /usr/bin/dash behind two links on Debian
    assert.equal(t.process.ancestors?.[0]?.exe, realpathSync('/bin/sh'), JSON.stringify(t.process.ancestors));
    // and the kernel's name of that parent at the exec, which attribution checks it against
    assert.equal(t.process.parentComm, 'sh');
    const env = await waitFor(() => mine('exec').find((e) => e.process.exe === '/usr/bin/env'), { ...WAIT, what: 'exec env' });
    assert.deepEqual(env.process.args, ['/usr/bin/env', 'true']);
    // env then execs true from PATH in the same pid: one exec per image
    await waitFor(() => mine('exec').find((e) => e.process.pid === env.process.pid && e.process.exe.endsWith('/true')), { ...WAIT, what: 'env → true' });
  });

  it('reports file creation, rename, chmod and unlink in a temp dir', async () => {
    const r = await c.run(`cd ${tmp} && echo x > a.txt && mv a.txt b.txt && chmod 600 b.txt && rm b.txt`);
    assert.equal(r.code, 0, r.stderr);
    const fw = () => mine('file_write');
    await waitFor(() => fw().find((e) => e.op === 'create' && e.path === join(tmp, 'a.txt')), { ...WAIT, what: 'create a.txt' });
    const mv = await waitFor(() => fw().find((e) => e.op === 'rename'), { ...WAIT, what: 'rename' });
    // exe from the process cache, or the comm when mv's exec record comes later (per-CPU buffers)
    assert.match(mv.process.exe, /(^|\/)mv$/);
    assert.match(mv.path, /a\.txt$/);
    assert.match(mv.newPath ?? '', /b\.txt$/);
    await waitFor(() => fw().find((e) => e.op === 'chmod' && /b\.txt$/.test(e.path)), { ...WAIT, what: 'chmod' });
    await waitFor(() => fw().find((e) => e.op === 'unlink' && /b\.txt$/.test(e.path)), { ...WAIT, what: 'unlink' });
  });

  it('reports a TCP listener on loopback and a connect to an unexpected destination', async () => {
    const script = [
      "const net = require('net');",
      "const s = net.createServer().listen(0, '127.0.0.1', () => {",
      `  const k = net.connect(${trapPort}, '127.66.6.6', () => { k.destroy(); s.close(); });`,
      '  k.on("error", () => s.close());',
      '});',
    ].join('\n');
    const r = await c.run(`node -e "${script.replaceAll('"', '\\"')}"`);
    assert.equal(r.code, 0, r.stderr);
    const l = await waitFor(() => mine('listen').find((e) => e.addr === '127.0.0.1'), { ...WAIT, what: 'listen' });
    assert.equal(l.proto, 'tcp');
    assert.ok(l.port > 0);
    assert.match(l.process.exe, /node$/);
    const k = await waitFor(() => mine('connect').find((e) => e.dstAddr === '127.66.6.6' && e.proto === 'tcp'), { ...WAIT, what: 'connect' });
    assert.equal(k.dstPort, trapPort);
    assert.equal(containerFromCgroupPath(k.cgroup?.path ?? '')?.id, c.containerId);
  });

  it('reports a UDP connect', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.66.6.6', () => res()));
    const port = sock.address().port;
    try {
      const script = `const d = require('dgram').createSocket('udp4'); d.connect(${port}, '127.66.6.6', () => { d.send('x'); d.close(); });`;
      const r = await c.run(`node -e "${script}"`);
      assert.equal(r.code, 0, r.stderr);
      const u = await waitFor(() => mine('connect').find((e) => e.proto === 'udp' && e.dstPort === port), { ...WAIT, what: 'udp connect' });
      assert.equal(u.dstAddr, '127.66.6.6');
    } finally {
      sock.close();
    }
  });

  it('aggregates the cgroup’s syscalls per interval', async () => {
    await c.run('/bin/true');
    const s = await waitFor(
      () => mine('syscall').find((e) => e.names.includes('execve') && e.names.includes('openat')),
      { timeoutMs: 15000, what: 'syscall set with execve and openat' },
    );
    assert.ok(s.names.length > 5);
    assert.equal(s.cgroup?.path, c.path);
  });

  it('restarts bpftrace when it dies, and says so', async () => {
    assert.ok(child?.pid);
    const before = readyCount;
    child.kill('SIGKILL');
    await waitFor(() => readyCount > before, { timeoutMs: 60000, what: 'bpftrace ready again' });
    assert.equal(stats.snap.restarts.bpftrace, 1);
    assert.deepEqual(observing, [true, false, true], 'not observing while bpftrace restarts');
    const n = events.length;
    await c.run('/bin/true again');
    await waitFor(() => events.slice(n).find((e) => e.kind === 'exec' && e.process.args[1] === 'again'), { ...WAIT, what: 'exec after restart' });
    // the whole machine is traced: a path in a page not yet faulted in reads as empty
    // (counted, not decoded); anything else would be a parser/program mismatch
    const reasons = Object.keys(stats.snap.bad.bpftrace ?? {}).filter((r) => r !== 'unreadable_string');
    assert.deepEqual(reasons, [], JSON.stringify(stats.snap.examples));
  });
});
