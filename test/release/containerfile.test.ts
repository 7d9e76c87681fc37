// The image and how it is run, checked cheaply in `npm test` (no build: `npm run
// test:image` builds and runs it): the Containerfile's promises (base image a build
// argument, a scratch runtime, non-root, the agent as ENTRYPOINT, OCI labels, no
// HEALTHCHECK, only what exists and is not ignored copied into the build) and, for every
// overlay, the translation of its rendered pod into `podman run` flags that test:image
// uses (test/support/podman-pod.ts): every pod setting is known to it, so a manifest
// change cannot silently run the image test with other privileges than the DaemonSet's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO, requireComponent } from '../support/env.ts';
import { PODMAN_SECCOMP, podmanPod } from '../support/podman-pod.ts';
import { tempDir } from '../support/agent-proc.ts';

type Obj = Record<string, unknown>;
const text = readFileSync(join(REPO, 'Containerfile'), 'utf8');
/** instructions, continuation lines joined, comments dropped */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), arg: rest.join(' ') };
  });
const stages = instructions.reduce<{ op: string; arg: string }[][]>((acc, i) => {
  if (i.op === 'FROM') acc.push([]);
  acc[acc.length - 1]?.push(i);
  return acc;
}, []);
const runtime = stages[stages.length - 1];

describe('Containerfile', () => {
  it('takes its base image as a build argument and builds in stages onto scratch', () => {
    const firstFrom = instructions.findIndex((i) => i.op === 'FROM');
    assert.ok(instructions.slice(0, firstFrom).some((i) => i.op === 'ARG' && /^BASE=/.test(i.arg)), 'ARG BASE before the first FROM');
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const s of stages.slice(0, -1)) assert.match(s[0].arg, /^\$\{BASE\}( AS \w+)?$/i);
    assert.equal(runtime[0].arg, 'scratch');
    assert.ok(!runtime.some((i) => i.op === 'RUN'), 'nothing runs in the runtime stage (it has no shell)');
  });

  it('runs the compiled agent as a non-root user, as the base DaemonSet does', () => {
    const ds = readFileSync(join(REPO, 'manifests/base/daemonset.yaml'), 'utf8');
    const user = runtime.filter((i) => i.op === 'USER').at(-1)?.arg;
    assert.equal(user, `${/runAsUser: (\d+)/.exec(ds)![1]}:${/runAsGroup: (\d+)/.exec(ds)![1]}`);
    assert.notEqual(user?.split(':')[0], '0');
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.arg) as string[];
    assert.deepEqual(entry, ['/usr/bin/node', '/opt/habitwatch/bin/habitwatch.js']);
    assert.deepEqual(JSON.parse(runtime.find((i) => i.op === 'CMD')!.arg), ['agent']);
    assert.match(text, /npm run build/, 'the image runs what `npm run build` compiles');
  });

  it('has OCI labels (licence from package.json) and no HEALTHCHECK', () => {
    const labels = runtime.filter((i) => i.op === 'LABEL').map((i) => i.arg).join(' ');
    for (const l of ['title', 'description', 'version', 'revision', 'licenses']) assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${l}=`), l);
    const { license } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string };
    assert.match(labels, new RegExp(`licenses="${license}"`));
    assert.ok(!instructions.some((i) => i.op === 'HEALTHCHECK'), 'Kubernetes probes check health');
  });

  it('copies from the build context only what exists and .containerignore keeps', () => {
    const ignored = readFileSync(join(REPO, '.containerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.arg.startsWith('--from'));
    assert.ok(copies.length > 0);
    for (const c of copies) {
      for (const src of c.arg.split(/\s+/).slice(0, -1)) {
        assert.ok(existsSync(join(REPO, src)), `COPY ${src}: no such file`);
        assert.ok(!ignored.includes(src.replace(/\/$/, '')), `COPY ${src}: ignored by .containerignore`);
      }
    }
    for (const dir of ['node_modules', 'dist', '.git', 'test']) assert.ok(ignored.includes(dir), `${dir} kept out of the build context`);
  });
});

describe('each overlay\'s pod as `podman run` flags (what test:image runs)', function () {
  this.timeout(120000);
  const overlays = readdirSync(join(REPO, 'manifests/overlays')).sort();
  let scratch: ReturnType<typeof tempDir>;
  before(function () {
    let ok = true;
    try {
      execFileSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore', timeout: 20000 });
    } catch {
      ok = false;
    }
    requireComponent(this, ok, 'kubectl (kustomize)');
    requireComponent(this, existsSync(PODMAN_SECCOMP), `podman's seccomp profile (${PODMAN_SECCOMP})`);
    scratch = tempDir('hw-podman-pod-');
  });
  after(() => scratch?.cleanup());

  for (const overlay of overlays) {
    it(overlay, () => {
      const out = execFileSync('kubectl', ['kustomize', join(REPO, 'manifests/overlays', overlay)], { encoding: 'utf8', timeout: 60000 });
      const docs = parseAllDocuments(out).map((d) => d.toJSON() as Obj);
      const ds = docs.find((d) => d.kind === 'DaemonSet')!;
      const spec = (ds.spec as { template: { spec: Obj } }).template.spec;
      const configMaps = Object.fromEntries(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [(d.metadata as Obj).name as string, (d.data ?? {}) as Record<string, string>]));
      const pod = podmanPod(spec, {
        configMaps,
        secrets: { 'habitwatch-api-token': { token: 't' } },
        fields: { 'spec.nodeName': 'n', 'metadata.name': 'p', 'metadata.namespace': 'habitwatch' },
        scratch: join(scratch.dir, overlay),
        serviceAccount: { dir: join(scratch.dir, overlay, 'sa'), env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' } },
      });
      for (const f of ['--cap-drop=ALL', '--read-only', '--security-opt=no-new-privileges']) assert.ok(pod.flags.includes(f), `${overlay}: ${f}`);
      assert.ok(pod.flags.includes(`--volume=${join(scratch.dir, overlay, 'sa')}:/var/run/secrets/kubernetes.io/serviceaccount:ro`), `${overlay}: the service account`);
      assert.ok(pod.flags.includes('--env=KUBERNETES_SERVICE_HOST=127.0.0.1'), `${overlay}: the in-cluster environment`);
      const seccomp = pod.flags.find((f) => f.startsWith('--security-opt=seccomp='));
      assert.ok(seccomp, `${overlay}: RuntimeDefault seccomp`);
      // the profile lets CAP_BPF call bpf(2) and CAP_PERFMON perf_event_open(2), as containerd >= 1.7 does
      const rules = (JSON.parse(readFileSync(seccomp.slice('--security-opt=seccomp='.length), 'utf8')) as { syscalls: { names: string[]; action: string; includes?: { caps?: string[] } }[] }).syscalls;
      for (const [name, cap] of [['bpf', 'CAP_BPF'], ['perf_event_open', 'CAP_PERFMON']]) {
        assert.ok(rules.some((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW' && r.includes?.caps?.join() === cap), `${name} allowed by ${cap}`);
      }
      if (overlay === 'bpftrace') assert.ok(pod.flags.includes('--env=BPFTRACE_BTF=/sys/kernel/btf/vmlinux'), 'bpftrace: the kernel types from sysfs, not by walking BTF objects (SYS_ADMIN)');
      const kernel = overlay === 'bpftrace' || overlay === 'auditd';
      assert.equal(pod.flags.includes('--pid=host'), kernel, `${overlay}: host PID namespace`);
      const expectCaps: Record<string, string[]> = { bpftrace: ['BPF', 'PERFMON', 'SYS_PTRACE'], auditd: ['SYS_PTRACE'], tetragon: [], falco: [] };
      assert.deepEqual(pod.caps, expectCaps[overlay] ?? [], `${overlay}: capabilities`);
      assert.equal(pod.args[0], 'agent');
    });
  }
});
