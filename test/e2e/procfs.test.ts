// procfs source against the real kernel: a test container (kubepods-style cgroup v2
// scope) runs a long-lived exec, a loopback listener and a connection to our own
// listener on 127.66.6.6; each must arrive with the right kind, details and container
// id. (procfs cannot see file writes: that is not tested here because it cannot work.)
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import procfs, { procfsCounters } from '../../collector/sources/procfs/index.ts';
import { defaults, type ProcfsConfig } from '../../collector/sources/procfs/config.ts';
import type { RuntimeEvent, EventOf } from '../../collector/event.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { silentLogger } from '../../collector/log.ts';
import type { SourceContext } from '../../collector/sources/types.ts';
import { isRoot, requireComponent, waitFor } from '../support/env.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';

describe('e2e: procfs source (live /proc polling)', function () {
  this.timeout(60000);
  let tc: TestContainer | undefined;
  let server: Server | undefined;
  const children: ChildProcess[] = [];
  const abort = new AbortController();
  const stats = new MemoryStats();
  const events: RuntimeEvent[] = [];
  let consumer: Promise<void> | undefined;

  before(async function () {
    requireComponent(this, isRoot(), 'root (to read other processes\' /proc entries and make cgroups)');
    requireComponent(this, cgroup2Available(), 'cgroup v2 hierarchy (/sys/fs/cgroup/unified)');
    tc = createTestContainer();
    const mine = tc.path;
    const kv = new Map<string, string>();
    const ctx: SourceContext = {
      node: 'test-node',
      signal: abort.signal,
      log: silentLogger,
      stats,
      state: { get: (k) => kv.get(k), set: (k, v) => void kv.set(k, v) },
      now: () => Date.now(),
    };
    const config: ProcfsConfig = { ...defaults, intervalMs: 100, reportExisting: false };
    assert.equal(await procfs.available!(config, ctx), true);
    const batches = procfs.live!(config, ctx);
    consumer = (async () => {
      // the machine runs unrelated processes: keep only what happens in our cgroup
      for await (const b of batches) for (const e of b) if (e.cgroup?.path === mine) events.push(e);
    })();
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    abort.abort();
    await consumer?.catch(() => undefined);
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await tc?.remove();
    if (tc) assert.ok(!existsSync(tc.abs), `test cgroup ${tc.abs} was not removed`);
  });

  const find = <K extends RuntimeEvent['kind']>(kind: K, pred: (e: EventOf<K>) => boolean) =>
    waitFor(() => events.find((e): e is EventOf<K> => e.kind === kind && pred(e as EventOf<K>)), {
      timeoutMs: 15000,
      what: `${kind} event`,
    });

  it('reports a long-lived exec with exe, args, container id and cgroup', async () => {
    children.push(tc!.spawn('sleep', ['7']));
    const ev = await find('exec', (e) => e.process.exe.endsWith('/sleep'));
    assert.deepEqual(ev.process.args, ['sleep', '7']);
    assert.equal(ev.container?.id, tc!.containerId);
    assert.equal(ev.container?.runtime, 'containerd');
    assert.equal(ev.cgroup?.path, tc!.path);
    assert.equal(ev.process.uid, 0);
    assert.ok(ev.process.ppid! > 0);
    assert.equal(ev.source, 'procfs');
    assert.ok(procfsCounters.polls > 0 && procfsCounters.pollSeconds > 0);
  });

  it('reports a loopback listener', async () => {
    const child = tc!.spawn(process.execPath, [
      '-e',
      "const s=require('net').createServer(()=>{}).listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>process.exit(0),20000)",
    ]);
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
    });
    const ev = await find('listen', (e) => e.port === port);
    assert.equal(ev.proto, 'tcp');
    assert.equal(ev.addr, '127.0.0.1');
    assert.equal(ev.process.pid, child.pid);
    assert.equal(ev.container?.id, tc!.containerId);
  });

  it('reports a connection to an unexpected loopback destination once', async () => {
    server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server!.listen(0, '127.66.6.6', () => r()));
    const port = (server.address() as { port: number }).port;
    const child = tc!.spawn(process.execPath, [
      '-e',
      `const c=require('net').connect(${port},'127.66.6.6');c.on('error',()=>{});setTimeout(()=>process.exit(0),20000)`,
    ]);
    children.push(child);
    const ev = await find('connect', (e) => e.dstAddr === '127.66.6.6' && e.dstPort === port);
    assert.equal(ev.proto, 'tcp');
    assert.equal(ev.process.pid, child.pid);
    assert.equal(ev.container?.id, tc!.containerId);
    // later polls (proved by a later exec being seen) must not report it again
    children.push(tc!.spawn('sleep', ['6']));
    await find('exec', (e) => e.process.exe.endsWith('/sleep') && e.process.args[1] === '6');
    const dup = events.filter((e) => e.kind === 'connect' && e.dstAddr === '127.66.6.6' && e.dstPort === port);
    assert.equal(dup.length, 1);
    // the accepted side (our own server, outside the cgroup) is not reported as a connect
    assert.ok(!events.some((e) => e.kind === 'connect' && e.process.pid === process.pid));
  });
});
