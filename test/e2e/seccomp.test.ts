// The seccomp export, enforced for real: a program runs in a test cgroup while the agent
// learns it live through bpftrace; the exported profile goes into an OCI config and a
// fresh process of the same program runs under runc with it (a tiny static busybox
// rootfs): the program still works, and a syscall it never made fails with EPERM.
// The writable-paths export of the same baseline, held to its word: with the root file
// system read-only and its suggested emptyDirs mounted, the program's writes work;
// without them they fail.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { bpftraceInstalled, isRoot, requireComponent, waitFor } from '../support/env.ts';
import { startAgentProc, tempDir, type AgentProc } from '../support/agent-proc.ts';
import { BUSYBOX, ociRuntime, runInContainer, staticBusybox } from '../support/oci.ts';

const TOKEN = 'seccomp-e2e-token-0123';
// it also writes a file directly in /tmp (removed from the host after the test)
const STATE = `/tmp/hw-wp-state-${randomBytes(4).toString('hex')}`;
const PROGRAM = ['sh', '-c', `echo hello from the workload; busybox cat /proc/self/stat > /dev/null; echo state > ${STATE} && busybox uname -s`];

describe('e2e: seccomp profile from a live-learned baseline, enforced under runc', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  // a child process: the agent leaves its own children's events out (collector/enrich/self.ts),
  // and the program this test runs is a child of the test process
  let agent: AgentProc | undefined;
  let c: TestContainer | undefined;
  let rt: 'runc' | 'crun';

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    requireComponent(this, staticBusybox(), 'busybox-static at /bin/busybox');
    const r = ociRuntime();
    requireComponent(this, r !== undefined, 'runc or crun');
    rt = r!;
    tmp = tempDir('hw-seccomp-');
    agent = await startAgentProc(
      tmp.dir,
      {
        api: { listen: '127.0.0.1:0', tokens: [{ name: 't', token: TOKEN, role: 'read' }] },
        sources: { enabled: ['bpftrace'], bpftrace: { intervalS: 1, cgroupPrefixes: ['/kubepods.slice'] } },
        learning: { minLearning: '1h', quietPeriod: '1h' },
      },
      { timeoutMs: 60_000 },
    );
    await waitFor(async () => (await agent!.api('/readyz')).status === 200, { timeoutMs: 60_000, what: 'bpftrace attached' });
    c = createTestContainer();
  });
  after(async () => {
    await agent?.kill();
    await c?.remove();
    tmp?.cleanup();
    rmSync(STATE, { force: true });
  });

  it('the program runs under its exported profile (a syscall outside it is denied with EPERM) and under a read-only root with the suggested emptyDirs', async () => {
    const api = (p: string) => fetch(`http://127.0.0.1:${agent!.port}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    // learn: the same program, a few times, in the test cgroup
    for (let i = 0; i < 3; i++) {
      const r = await c!.exec(BUSYBOX, PROGRAM);
      assert.equal(r.code, 0, r.stderr);
    }
    const workload = await waitFor(
      async () => {
        const ws = ((await (await api('/v1/workloads')).json()) as { workloads: { id: string; containers: { items: { syscall?: number } }[] }[] }).workloads;
        // a pod's container without the Kubernetes API or runtime names: keyed by its pod UID (collector/enrich/kube/identity.ts)
        return ws.find((w) => w.id === `host/pod/${c!.podUid}` && (w.containers[0]?.items.syscall ?? 0) > 0)?.id;
      },
      { timeoutMs: 30_000, what: 'the test container learned with syscalls' },
    );
    // the syscall aggregation is per interval: wait until the program's own calls are in
    const enc = workload.split('/').map(encodeURIComponent).join('/');
    const profile = await waitFor(
      async () => {
        const p = (await (await api(`/v1/workloads/${enc}/seccomp`)).json()) as { syscalls: { names: string[] }[] };
        const names = p.syscalls[0].names;
        return names.includes('sendfile') && names.includes('uname') ? p : undefined;
      },
      { timeoutMs: 30_000, what: 'the program syscalls learned' },
    );
    const names = profile.syscalls[0].names;
    assert.ok(!names.includes('mkdir') && !names.includes('mkdirat'), 'the program never makes directories');
    const report = (await (await api(`/v1/workloads/${enc}/seccomp?format=report`)).json()) as { added: string[] };
    assert.ok(Array.isArray(report.added));

    // the writes it learned: /tmp needs an emptyDir under a read-only root
    const wp = await waitFor(
      async () => {
        const r = (await (await api(`/v1/workloads/${enc}/writable-paths`)).json()) as { readOnlyRootFilesystem: { holdsAsIs: boolean; holdsWithEmptyDirs: boolean }; emptyDirs: { mountPath: string }[] };
        return r.emptyDirs.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the write learned' },
    );
    assert.deepEqual(wp.emptyDirs.map((e) => e.mountPath), ['/tmp']);
    assert.deepEqual(wp.readOnlyRootFilesystem, { ...wp.readOnlyRootFilesystem, holdsAsIs: false, holdsWithEmptyDirs: true });
    const mounts = wp.emptyDirs.map((e) => e.mountPath);

    const ok = await runInContainer(rt, tmp.dir, ['/bin/busybox', ...PROGRAM], profile, mounts);
    assert.equal(ok.code, 0, `under the profile, read-only root with the suggested emptyDirs: ${ok.stderr}`);
    assert.match(ok.stdout, /hello from the workload/);
    assert.match(ok.stdout, /Linux/);
    const readOnly = await runInContainer(rt, tmp.dir, ['/bin/busybox', ...PROGRAM], profile);
    assert.notEqual(readOnly.code, 0, 'without the emptyDirs the write fails');
    assert.match(readOnly.stderr, /Read-only file system/, readOnly.stderr);

    const denied = await runInContainer(rt, tmp.dir, ['/bin/busybox', 'sh', '-c', 'echo before; busybox mkdir /dev/shm/hw-denied'], profile);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stdout, /before/, 'the shell itself still runs');
    assert.match(denied.stderr, /Operation not permitted/, denied.stderr);

    // and without a profile the same mkdir works: the denial is the profile's doing
    const free = await runInContainer(rt, tmp.dir, ['/bin/busybox', 'sh', '-c', 'busybox mkdir /dev/shm/hw-allowed && echo made']);
    assert.equal(free.code, 0, free.stderr);
  });
});
