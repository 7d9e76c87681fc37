// Real-kernel test of the auditd source: a private auditd (own config dir, log in a
// temp dir, no plugins), the shipped rules narrowed to this test's processes with
// `-F auid=<random>` (processes in the test container set that loginuid) and keyed
// `habitwatch-test`, and the live source following the log. Audit rules are
// kernel-global: only ours are added, exactly they are deleted, the daemon is
// stopped and the kernel enabled flag restored afterwards.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { isRoot, requireComponent, waitFor } from '../support/env.ts';
import { auditctl, auditdInstalled, auditStatus, narrowedRules, startPrivateAuditd, type PrivateAuditd } from '../support/auditd.ts';
import { findSource } from '../../collector/sources/index.ts';
import { defaults, type AuditdConfig } from '../../collector/sources/auditd/config.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { testContext, type TestContext } from '../collector/sources/auditd/helpers.ts';

const KEY = 'habitwatch-test';

describe('e2e: auditd source on the real kernel audit subsystem', function () {
  this.timeout(60000);
  let dir = '';
  let daemon: PrivateAuditd | undefined;
  let initialEnabled: string | undefined;
  let rulesLoaded = false;
  let container: TestContainer | undefined;
  let keepAlive: ChildProcess | undefined;
  let listener: Server | undefined;
  let ctx: TestContext | undefined;
  let running: Promise<void> | undefined;
  const events: RuntimeEvent[] = [];

  before(async function () {
    requireComponent(this, isRoot(), 'root (audit control needs CAP_AUDIT_CONTROL)');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount for the test container');
    requireComponent(this, auditdInstalled(), 'auditd and auditctl (Debian package auditd)');
    const st = auditStatus();
    // e.g. in a container without CAP_AUDIT_CONTROL or with audit=0 on the kernel cmdline
    requireComponent(this, typeof st !== 'string', `kernel audit subsystem (auditctl -s failed: ${String(st)})`);
    const status = st as Record<string, string>;
    initialEnabled = status.enabled;
    requireComponent(this, status.enabled !== '2', 'audit configuration not locked (enabled=2 needs a reboot to change)');

    dir = mkdtempSync(join(tmpdir(), 'hw-auditd-e2e-'));
    mkdirSync(join(dir, 'work'));
    daemon = await startPrivateAuditd(dir);
    const logFile = daemon.logFile;

    const auid = randomInt(1_000_000_000, 4_000_000_000);
    writeFileSync(join(dir, 'test.rules'), narrowedRules(auid, KEY) + '\n');
    const loaded = auditctl('-R', join(dir, 'test.rules'));
    rulesLoaded = true;
    assert.ok(loaded.ok, `auditctl -R: ${loaded.out}`);

    listener = createServer((s) => s.destroy());
    await new Promise<void>((res, rej) => listener!.once('error', rej).listen(0, '127.66.6.6', () => res()));

    ctx = testContext();
    const config: AuditdConfig = { ...defaults, path: logFile, pollMs: 20, startAt: 'end', eventTimeoutMs: 500, procLookup: true };
    const src = findSource('auditd')!;
    const enricher = createEnricher();
    const c = ctx;
    running = (async () => {
      for await (const batch of src.live!(config, c)) {
        enricher.enrich(batch);
        events.push(...batch);
      }
    })();
    // the follower is positioned at the end before the workload runs
    await waitFor(() => c.opened > 0, { what: 'follower positioned' });

    container = createTestContainer();
    workload.auid = auid;
  });

  const workload = { auid: 0 };

  after(async function () {
    keepAlive?.stdin?.end();
    keepAlive?.kill('SIGKILL');
    if (container) await container.remove();
    ctx?.abort();
    await running?.catch(() => undefined);
    listener?.close();
    if (rulesLoaded) {
      const del = auditctl('-D', '-k', KEY);
      assert.ok(del.ok || /No rules/.test(del.out), `auditctl -D -k ${KEY}: ${del.out}`);
    }
    await daemon?.stop();
    if (initialEnabled === '0' || initialEnabled === '1') auditctl('-e', initialEnabled);
    if (dir) rmSync(dir, { recursive: true, force: true });
    // the machine is left as found: none of our rules remain
    if (rulesLoaded) assert.ok(!auditctl('-l').out.includes(KEY), 'test rules removed');
  });

  it('exec, file write, listen and connect from a test container arrive attributed to it', async () => {
    const c = container!;
    const marker = randomBytes(6).toString('hex');
    const file = join(dir, 'work', `file-${marker}`);
    const listenPort = await freePort();
    const dstPort = (listener!.address() as { port: number }).port;
    // UDP connect sends nothing; a port of its own tells the two connects apart
    const udpPort = dstPort === 65535 ? 1024 : dstPort + 1;
    // the node process stays alive (stdin open) so its fds can be looked up in /proc:
    // the kernel-chosen port of a listener bound to port 0, UDP vs TCP for connect
    const js = [
      `const net=require('net'),dgram=require('dgram');`,
      `const s=net.createServer().listen(${listenPort},'127.0.0.1',()=>{`,
      `const e=net.createServer().listen(0,'::1',()=>{`,
      `const k=net.connect(${dstPort},'127.66.6.6',()=>{k.destroy();`,
      `const u=dgram.createSocket('udp4');u.connect(${udpPort},'127.66.6.6',()=>{`,
      `console.log('ready '+e.address().port);});});});});`,
      `process.stdin.resume();`,
    ].join('');
    // loginuid first (children inherit it, the rules match on it)
    const script = [
      `echo ${workload.auid} > /proc/self/loginuid`,
      `/bin/true exec-${marker}`,
      `echo hello > '${file}'`,
      `chmod 4755 '${file}'`,
      `cat /etc/shadow > /dev/null`,
      `exec '${process.execPath}' -e "${js}"`,
    ].join('\n');
    keepAlive = c.spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    keepAlive.stderr?.on('data', (d) => (stderr += d));
    keepAlive.stdout?.on('data', (d) => (stdout += d));

    const ours = (e: RuntimeEvent): boolean => e.cgroup?.path === c.path;
    const exec = await waitFor(
      () => events.find((e) => e.kind === 'exec' && e.process.args[1] === `exec-${marker}`),
      { timeoutMs: 10000, what: `exec event (stderr: ${stderr})` },
    );
    assert.equal(exec.process.exe, '/usr/bin/true');
    assert.ok(ours(exec), `exec attributed to the test cgroup, got ${JSON.stringify(exec.cgroup)}`);
    assert.equal(exec.container?.id, c.containerId);
    assert.equal(exec.process.uid, 0);

    const fw = await waitFor(() => events.find((e) => e.kind === 'file_write' && e.path === file), {
      timeoutMs: 10000,
      what: 'file_write event',
    });
    assert.ok(fw.kind === 'file_write' && fw.op === 'create');
    assert.ok(ours(fw));
    assert.equal(fw.container?.id, c.containerId);

    // chmod keeps its mode (a setuid bit is visible); a read of the node's /etc/shadow
    // (hw-read) is a file_open
    const ch = await waitFor(() => events.find((e) => e.kind === 'file_write' && e.op === 'chmod' && e.path === file), { timeoutMs: 10000, what: 'chmod event' });
    assert.ok(ch.kind === 'file_write' && ch.mode === 0o4755, JSON.stringify(ch));
    const shadow = await waitFor(() => events.find((e) => e.kind === 'file_open' && e.path === '/etc/shadow' && ours(e)), { timeoutMs: 10000, what: 'read of /etc/shadow' });
    assert.match(shadow.process.exe, /\/cat$/);

    const listen = await waitFor(
      () => events.find((e) => e.kind === 'listen' && e.port === listenPort && ours(e)),
      { timeoutMs: 10000, what: `listen event on 127.0.0.1:${listenPort} (stderr: ${stderr})` },
    );
    assert.ok(listen.kind === 'listen' && listen.addr === '127.0.0.1' && listen.proto === 'tcp');
    assert.equal(listen.process.exe, process.execPath);

    const ephemeral = Number(
      (await waitFor(() => /ready (\d+)/.exec(stdout), { timeoutMs: 10000, what: `workload ready (stderr: ${stderr})` }))[1],
    );
    const listen0 = await waitFor(
      () => events.find((e) => e.kind === 'listen' && e.addr === '::1' && ours(e)),
      { timeoutMs: 10000, what: 'listen event on [::1]:0' },
    );
    assert.ok(listen0.kind === 'listen' && listen0.port === ephemeral, `port from /proc: ${JSON.stringify(listen0)}`);

    const udp = await waitFor(
      () => events.find((e) => e.kind === 'connect' && e.proto === 'udp' && e.dstAddr === '127.66.6.6' && ours(e)),
      { timeoutMs: 10000, what: 'udp connect event' },
    );
    assert.ok(udp.kind === 'connect' && udp.dstPort === udpPort);

    const conn = await waitFor(
      () => events.find((e) => e.kind === 'connect' && e.proto === 'tcp' && e.dstAddr === '127.66.6.6' && e.dstPort === dstPort && ours(e)),
      { timeoutMs: 10000, what: 'connect event to 127.66.6.6' },
    );
    assert.equal(conn.container?.id, c.containerId);

    // with our private daemon, nothing outside the test's loginuid matched the rules
    if (daemon) for (const e of events.filter((x) => x.kind !== 'syscall')) assert.ok(ours(e), `foreign event ${JSON.stringify(e).slice(0, 300)}`);
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}
