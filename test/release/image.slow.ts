// `npm run test:image` (run it under the kernel lock): the image built from the
// Containerfile (test/support/image.ts makes its base without a registry), inspected, and
// run as the bpftrace DaemonSet would run it — the pod of `kubectl kustomize
// manifests/overlays/bpftrace` translated to podman flags (test/support/podman-pod.ts):
// host PID namespace, user 0 with only the overlay's capabilities, read-only root
// filesystem, no privilege escalation, the runtime's default seccomp profile, the host
// paths, the service account the kubelet would mount — against a Kubernetes-style test
// cgroup, with the emulated API server (test/support/kube) as the cluster: the agent
// finds it as in a pod, from KUBERNETES_SERVICE_HOST/PORT and the service account's
// token and CA. An exec from a writable directory in that cgroup must come out as an
// alert on the agent's API, named by its Deployment; SIGTERM must stop the container
// cleanly. Then each added capability is shown to be needed: without it, bpftrace (BPF,
// PERFMON) or the agent's /proc reads (SYS_PTRACE) fail.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { tempDir } from '../support/agent-proc.ts';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { REPO, isRoot, requireComponent, waitFor } from '../support/env.ts';
import { IMAGE, RUN_ENV_FLAGS, buildBase, buildImage, imageToolsMissing, inspectImage } from '../support/image.ts';
import { podmanPod, type PodmanPod } from '../support/podman-pod.ts';
import { KubeApiServer } from '../support/kube/server.ts';
import { deployment, pod as podObject, replicaSet } from '../support/kube/objects.ts';

const run = promisify(execFile);
const TOKEN = 'image-test-token-0123456789';
/** the agent's service account, as the emulated API server authenticates it */
const SA = 'system:serviceaccount:habitwatch:habitwatch';
const SA_TOKEN = `sa-${randomBytes(12).toString('hex')}`;
const NODE = 'image-test-node';
const log = (m: string) => console.log(`      [image] ${m}`);
type Obj = Record<string, unknown>;

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** the bpftrace overlay as rendered, with the agent config the test runs */
function bpftraceOverlay(port: number): { spec: Obj; config: Obj } {
  const out = execFileSync('kubectl', ['kustomize', join(REPO, 'manifests/overlays/bpftrace')], { encoding: 'utf8' });
  const docs = parseAllDocuments(out).map((d) => d.toJSON() as Obj);
  const ds = docs.find((d) => d.kind === 'DaemonSet')!;
  const cm = docs.find((d) => d.kind === 'ConfigMap' && (d.metadata as Obj).name === 'habitwatch')!;
  const config = parse((cm.data as Record<string, string>)['habitwatch.yaml']) as Obj;
  // the test's own: a free loopback port, no Alertmanager to deliver to
  config.api = { ...(config.api as Obj), listen: `127.0.0.1:${port}` };
  config.sinks = [];
  return { spec: (ds.spec as { template: { spec: Obj } }).template.spec, config };
}
describe('image: built from the Containerfile, run as the bpftrace DaemonSet runs it', function () {
  this.timeout(30 * 60 * 1000);
  let scratch: ReturnType<typeof tempDir>;
  const names: string[] = [];
  let c: TestContainer | undefined;
  let kube: KubeApiServer | undefined;
  let serviceAccount: { dir: string; env: Record<string, string> };

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    const missing = imageToolsMissing();
    requireComponent(this, missing.length === 0, `image tools (${missing.join(', ')})`);
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    scratch = tempDir('hw-image-');
    const t0 = Date.now();
    const base = await buildBase(log);
    await buildImage(base, log);
    log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    // the cluster: the API server on loopback (the container shares the host network),
    // knowing the agent's service account token
    kube = await KubeApiServer.start({ authenticate: true });
    kube.reviews.addToken(SA_TOKEN, { username: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:habitwatch', 'system:authenticated'] });
    kube.installCrd(join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml'));
    const env = kube.writeServiceAccount(join(scratch.dir, 'kubelet'), SA_TOKEN);
    serviceAccount = { dir: join(scratch.dir, 'kubelet/var/run/secrets/kubernetes.io/serviceaccount'), env };
  });
  after(async () => {
    for (const n of names) await run('podman', ['rm', '-f', '-t', '0', n]).catch(() => undefined);
    await c?.remove();
    await kube?.close();
    scratch?.cleanup();
  });

  it('is the agent, non-root, with OCI labels, no HEALTHCHECK and no shell', async () => {
    const i = await inspectImage();
    log(`size ${(i.sizeBytes / (1 << 20)).toFixed(0)} MiB`);
    assert.deepEqual(i.entrypoint, ['/usr/bin/node', '/opt/habitwatch/bin/habitwatch.js']);
    assert.deepEqual(i.cmd, ['agent']);
    assert.equal(i.user, '65532:65532');
    assert.equal(i.healthcheck, undefined);
    for (const l of ['title', 'description', 'version', 'revision', 'licenses']) assert.ok(i.labels[`org.opencontainers.image.${l}`], `label ${l}`);
    assert.equal(i.labels['org.opencontainers.image.licenses'], 'Apache-2.0');
    for (const sh of ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/apt-get']) {
      const r = await run('podman', ['run', '--rm', ...RUN_ENV_FLAGS, '--entrypoint', sh, IMAGE, '-c', 'true']).catch((e: { code: number; stderr: string }) => e);
      assert.notEqual((r as { code?: number }).code ?? 0, 0, `${sh} runs in the image`);
    }
    // /bin/sh is `false` (the Containerfile says why): it runs nothing
    const { stdout: sh } = await run('podman', ['run', '--rm', ...RUN_ENV_FLAGS, '--entrypoint', '/usr/bin/node', IMAGE, '-e', 'console.log(require("fs").readlinkSync("/usr/bin/sh"))']);
    assert.equal(sh.trim(), 'false');
    const { stdout } = await run('podman', ['run', '--rm', ...RUN_ENV_FLAGS, IMAGE, '--help']);
    assert.match(stdout, /^usage: habitwatch <command>/m);
  });

  async function startPod(o: { withoutCaps?: string[]; port: number; entrypoint?: string[]; detach: boolean }): Promise<{ name: string; pod: PodmanPod; out?: string }> {
    const { spec, config } = bpftraceOverlay(o.port);
    const dir = join(scratch.dir, randomBytes(4).toString('hex'));
    mkdirSync(join(dir, 'data'), { recursive: true });
    const pod = podmanPod(spec, {
      configMaps: { habitwatch: { 'habitwatch.yaml': stringify(config) } },
      secrets: { 'habitwatch-api-token': { token: TOKEN } },
      fields: { 'spec.nodeName': NODE, 'metadata.name': 'habitwatch-image-test', 'metadata.namespace': 'habitwatch' },
      hostPathOverrides: { '/var/lib/habitwatch': join(dir, 'data') },
      scratch: dir,
      withoutCaps: o.withoutCaps,
      serviceAccount,
    });
    const name = `hw-image-${randomBytes(4).toString('hex')}`;
    names.push(name);
    const entry = o.entrypoint ? ['--entrypoint', o.entrypoint[0]] : [];
    const args = o.entrypoint ? o.entrypoint.slice(1) : pod.args;
    const cmd = ['run', `--name=${name}`, ...(o.detach ? ['-d'] : []), ...RUN_ENV_FLAGS, ...pod.flags, ...entry, IMAGE, ...args];
    if (o.detach) {
      await run('podman', cmd);
      return { name, pod };
    }
    const r = await run('podman', cmd, { maxBuffer: 16 << 20 }).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    return { name, pod, out: `exit ${r.code}\n${r.out}` };
  }

  it('runs as the DaemonSet would: an exec in a test cgroup is an alert on its API, named by its Deployment; SIGTERM stops it cleanly', async () => {
    // a Deployment's pod on this node, its container the test cgroup
    c = createTestContainer();
    const rs = kube!.apply(replicaSet(kube!.apply(deployment('shop', 'web')), '5f6c7d8b9a'));
    kube!.apply(podObject({ namespace: 'shop', name: 'web-5f6c7d8b9a-x1y2z', uid: c.podUid, owner: rs, node: NODE, containers: [{ name: 'app', id: c.containerId, image: 'registry.example/web:1.0', digest: `sha256:${'c'.repeat(64)}` }] }));
    const port = await freePort();
    const { name, pod } = await startPod({ port, detach: true });
    log(`podman run ${pod.flags.join(' ')}`);
    const api = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const logs = async () => (await run('podman', ['logs', name])).stderr;
    await waitFor(async () => (await api('/readyz')).status === 200, { timeoutMs: 120000, what: `the agent ready (bpftrace attached)` }).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${await logs()}`);
    });
    const exe = join(scratch.dir, `payload-${randomBytes(3).toString('hex')}`);
    const r = await c.run(`cp /bin/true ${exe} && ${exe}`);
    assert.equal(r.code, 0, r.stderr);
    const alert = await waitFor(
      async () => {
        const body = (await (await api('/v1/alerts')).json()) as { alerts: { rule: string; workload: { id: string }; process: { exe: string } }[] };
        return body.alerts.find((a) => a.workload.id === 'shop/Deployment/web' && a.process.exe === exe);
      },
      { timeoutMs: 60000, what: 'the exec as an alert' },
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${await logs()}`);
    });
    log(`alert ${alert.rule} on ${alert.workload.id}`);
    // bpftrace's records through a FIFO (the image ships mkfifo), not the slower socket pair
    assert.doesNotMatch(await logs(), /no FIFO for bpftrace/);
    // enlarged to 1 MiB by the image's pipe-size helper, so the agent reads it in 100 ms windows
    const output = (await logs()).split('\n').find((l) => l.includes('"bpftrace output"'));
    assert.match(output ?? '', /"pipeBytes":1048576/, `the FIFO not enlarged: ${output}`);
    assert.match(output ?? '', /"readWindowMs":100\b/);
    // through the in-cluster configuration: the service account's token, this node's pods
    assert.ok(
      kube!.requests.some((r) => r.user === SA && r.resource === 'pods' && r.verb === 'watch' && r.query.fieldSelector === `spec.nodeName=${NODE}`),
      `no watch of this node's pods as ${SA}: ${JSON.stringify(kube!.requests.slice(0, 20).map((r) => [r.verb, r.path, r.user, r.code]))}`,
    );
    // what the agent costs at rest, for the DaemonSet's requests and limits
    const { stdout: state } = await run('podman', ['inspect', name, '--format', '{{.State.Pid}}']);
    log(`agent and children: ${await footprint(Number(state.trim()))}`);
    await run('podman', ['kill', '--signal', 'TERM', name]);
    const { stdout: code } = await run('podman', ['wait', name], { timeout: 60000 });
    assert.equal(code.trim(), '0', await logs());
    assert.match(await logs(), /"msg":"agent stopped"/);
  });

  // each capability the overlay adds is needed on this kernel
  const PROBE = ['/usr/bin/bpftrace', '-e', 'tracepoint:raw_syscalls:sys_enter { @n = count(); } interval:ms:200 { exit(); }'];
  it('bpftrace runs with the overlay\'s capabilities', async () => {
    const r = await startPod({ port: await freePort(), entrypoint: PROBE, detach: false });
    assert.match(r.out!, /^exit 0/, r.out);
  });
  for (const cap of ['BPF', 'PERFMON']) {
    it(`without ${cap}, bpftrace cannot attach`, async () => {
      const r = await startPod({ port: await freePort(), entrypoint: PROBE, withoutCaps: [cap], detach: false });
      assert.doesNotMatch(r.out!, /^exit 0/, `bpftrace ran without ${cap}: the overlay need not add it\n${r.out}`);
      assert.doesNotMatch(r.out!, /OCI runtime error/, `the container did not start\n${r.out}`);
      assert.match(r.out!, /ERROR|rror:|not permitted|denied/, r.out);
      log(`without ${cap}: ${r.out!.split('\n').find((l) => /ERROR|rror|denied|permitted/.test(l)) ?? r.out!.slice(0, 200)}`);
    });
  }
  // a process of the host that is not the agent's (root's, with all of root's
  // capabilities), as the workloads' processes are. Not pid 1: this machine's pid 1 (its
  // VM's init) refuses /proc/1/exe even to the host's root.
  it('without SYS_PTRACE, the agent cannot read the executable of a process that is not its own', async () => {
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const probe = ['/usr/bin/node', '-e', `console.log(require("fs").readlinkSync("/proc/${other.pid}/exe"))`];
      const ok = await startPod({ port: await freePort(), entrypoint: probe, detach: false });
      assert.match(ok.out!, /^exit 0\n\/usr\/bin\/sleep$/m, ok.out);
      const no = await startPod({ port: await freePort(), entrypoint: probe, withoutCaps: ['SYS_PTRACE'], detach: false });
      assert.doesNotMatch(no.out!, /OCI runtime error/, `the container did not start\n${no.out}`);
      assert.match(no.out!, /EACCES|EPERM/, no.out);
    } finally {
      other.kill();
    }
  });
});

/** RSS (MiB) and CPU seconds so far of a process and its children, from /proc */
async function footprint(pid: number): Promise<string> {
  const kids = (p: number): number[] => {
    let out: number[] = [];
    for (const t of readdirSync(`/proc/${p}/task`)) {
      try {
        out = out.concat(readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      } catch {
        /* gone */
      }
    }
    return out;
  };
  const all = [pid, ...kids(pid)];
  let rss = 0;
  const parts: string[] = [];
  for (const p of all) {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    rss += kb;
    parts.push(`${/^Name:\s+(.*)$/m.exec(status)?.[1]} ${(kb / 1024).toFixed(0)} MiB ${cpu.toFixed(1)} s CPU`);
  }
  return `${(rss / 1024).toFixed(0)} MiB RSS (${parts.join('; ')})`;
}
