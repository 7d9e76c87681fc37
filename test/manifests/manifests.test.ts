// The manifests: every kustomization (the base and each source's overlay) rendered with
// `kubectl kustomize`, every object valid against the Kubernetes OpenAPI schemas (strict
// fields), the agent config each ships valid, and each overlay's pod exactly as
// privileged as docs/operations.md says: the Falco overlay meets Pod Security
// "restricted", the Tetragon overlay all of "baseline" but one read-only hostPath, the
// kernel sources' overlays only their documented exceptions — never a privileged container.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO, requireComponent } from '../support/env.ts';
import { schemaProblems } from '../support/k8s-schema.ts';
import { podSecurityViolations, type Violation } from '../support/pod-security.ts';
import { validateConfig } from '../../agent/config/load.ts';

const MANIFESTS = join(REPO, 'manifests');
const OVERLAYS = readdirSync(join(MANIFESTS, 'overlays')).sort();

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  args: string[];
  securityContext: { privileged?: boolean; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  env?: { name: string }[];
  resources?: { requests?: Obj; limits?: Obj };
}
interface PodSpec {
  hostPID?: boolean;
  hostNetwork?: boolean;
  securityContext: { runAsUser?: number; runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string }; emptyDir?: Obj }[];
}

function kubectlKustomize(): boolean {
  try {
    execFileSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore', timeout: 20000 });
    return true;
  } catch {
    return false;
  }
}

const rendered = new Map<string, Obj[]>();
function render(dir: string): Obj[] {
  let docs = rendered.get(dir);
  if (!docs) {
    const out = execFileSync('kubectl', ['kustomize', join(MANIFESTS, dir)], { encoding: 'utf8', timeout: 60000 });
    docs = parseAllDocuments(out).map((d) => d.toJSON() as Obj);
    rendered.set(dir, docs);
  }
  return docs;
}
const find = (docs: Obj[], kind: string, name?: string) => docs.filter((d) => d.kind === kind && (name === undefined || (d.metadata as Obj).name === name));
const daemonSet = (docs: Obj[]) => {
  const [ds] = find(docs, 'DaemonSet', 'habitwatch');
  const tpl = (ds.spec as { template: { metadata: Obj; spec: PodSpec } }).template;
  return { spec: tpl.spec, metadata: tpl.metadata, agent: tpl.spec.containers.find((c) => c.name === 'agent')! };
};
const agentConfig = (docs: Obj[]) => parse((find(docs, 'ConfigMap', 'habitwatch')[0].data as Record<string, string>)['habitwatch.yaml']) as Obj;
const byControl = (vs: Violation[]) => vs.map((v) => `${v.control}: ${v.field}=${JSON.stringify(v.value)}`).sort();

describe('manifests', function () {
  this.timeout(120000);
  before(function () {
    requireComponent(this, kubectlKustomize(), 'kubectl (with kustomize) on PATH');
  });

  it('every YAML parses; the dashboard is JSON', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
    for (const f of walk(MANIFESTS)) {
      for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) assert.equal(d.errors.length, 0, `${f}: ${d.errors.join(', ')}`);
    }
    JSON.parse(readFileSync(join(MANIFESTS, 'base', 'grafana-dashboard.json'), 'utf8'));
  });

  it('the overlays are bpftrace, auditd, tetragon and falco', () => {
    assert.deepEqual(OVERLAYS, ['auditd', 'bpftrace', 'falco', 'tetragon']);
  });

  for (const dir of ['base', ...OVERLAYS.map((o) => `overlays/${o}`)]) {
    it(`${dir}: renders, every object valid against the Kubernetes schemas, the agent config valid`, async () => {
      const docs = render(dir);
      const problems = (await Promise.all(docs.map((d) => schemaProblems(d)))).flat();
      assert.deepEqual(problems, []);
      assert.deepEqual(validateConfig(agentConfig(docs)), []);
      // the config is mounted where the agent is told to read it
      const { spec, agent } = daemonSet(docs);
      const cfg = agent.args[agent.args.indexOf('--config') + 1];
      const mount = agent.volumeMounts.find((m) => cfg.startsWith(m.mountPath + '/'))!;
      assert.equal(spec.volumes.find((v) => v.name === mount.name)?.configMap?.name, 'habitwatch');
      // what every variant keeps
      const sc = agent.securityContext;
      assert.notEqual(sc.privileged, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.deepEqual(sc.capabilities?.drop, ['ALL']);
      assert.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault');
      assert.ok(agent.resources?.requests?.memory && agent.resources.limits?.memory, 'memory request and limit');
      assert.ok(['POD_NAME', 'POD_NAMESPACE', 'NODE_NAME'].every((n) => agent.env?.some((e) => e.name === n)), 'downward API env');
      // host paths: only what is mounted, read-only except the data directory
      for (const v of spec.volumes.filter((x) => x.hostPath)) {
        const m = agent.volumeMounts.find((x) => x.name === v.name);
        assert.ok(m, `hostPath ${v.name} not mounted`);
        if (v.name !== 'data') assert.equal(m.readOnly, true, `hostPath ${v.name} must be read-only`);
      }
    });
  }

  const podOf = (overlay: string) => {
    const docs = render(`overlays/${overlay}`);
    const { spec, metadata, agent } = daemonSet(docs);
    const ns = find(docs, 'Namespace', 'habitwatch')[0].metadata as { labels: Record<string, string> };
    return { docs, spec, metadata, agent, enforce: ns.labels['pod-security.kubernetes.io/enforce'], config: agentConfig(docs) };
  };

  it('falco: Pod Security "restricted" (so "baseline" too), no host namespace, path or capability, and the namespace enforces it', () => {
    const p = podOf('falco');
    assert.deepEqual(byControl(podSecurityViolations(p.spec, p.metadata, 'restricted')), []);
    assert.equal(p.enforce, 'restricted');
    assert.deepEqual((p.config.sources as Obj).enabled, ['falco']);
    // Falco's node-local way in
    const svc = find(p.docs, 'Service', 'habitwatch-falco')[0].spec as { internalTrafficPolicy: string; ports: { port: number }[] };
    assert.equal(svc.internalTrafficPolicy, 'Local');
    assert.equal(svc.ports[0].port, 2801);
  });

  it('tetragon: all of Pod Security "baseline" but the one read-only hostPath of Tetragon\'s export directory; no host namespace, no capability', () => {
    const p = podOf('tetragon');
    assert.deepEqual(byControl(podSecurityViolations(p.spec, p.metadata, 'baseline')), ['HostPath Volumes: spec.volumes[0].hostPath={"path":"/var/run/cilium/tetragon","type":"Directory"}'].sort());
    assert.equal(p.agent.volumeMounts.find((m) => m.name === 'tetragon')?.readOnly, true);
    assert.equal(p.agent.securityContext.capabilities?.add, undefined);
    assert.equal(p.enforce, 'privileged');
    assert.deepEqual((p.config.sources as Obj).enabled, ['tetragon']);
  });

  const kernel: Record<string, { caps: string[]; hostPaths: string[] }> = {
    bpftrace: { caps: ['BPF', 'PERFMON', 'SYS_PTRACE'], hostPaths: ['/sys/fs/cgroup', '/sys/kernel/tracing', '/var/lib/habitwatch'] },
    auditd: { caps: ['SYS_PTRACE'], hostPaths: ['/var/lib/habitwatch', '/var/log/audit'] },
  };
  for (const [overlay, want] of Object.entries(kernel)) {
    it(`${overlay}: exactly its documented exceptions to "baseline" (host PID, ${want.caps.join(', ')}, ${want.hostPaths.join(', ')}); not privileged`, () => {
      const p = podOf(overlay);
      const vs = podSecurityViolations(p.spec, p.metadata, 'baseline');
      assert.deepEqual(new Set(vs.map((v) => v.control)), new Set(['Host Namespaces', 'Capabilities', 'HostPath Volumes']));
      assert.deepEqual(vs.filter((v) => v.control === 'Host Namespaces').map((v) => v.field), ['spec.hostPID']);
      assert.deepEqual(vs.filter((v) => v.control === 'Capabilities').map((v) => v.value).sort(), want.caps);
      assert.deepEqual(vs.filter((v) => v.control === 'HostPath Volumes').map((v) => (v.value as { path: string }).path).sort(), want.hostPaths);
      assert.equal(p.spec.hostNetwork, undefined);
      assert.equal(p.enforce, 'privileged');
      assert.deepEqual((p.config.sources as Obj).enabled, [overlay]);
    });
  }

  it('the documented capabilities per source are the overlays\' (docs/operations.md)', () => {
    const doc = readFileSync(join(REPO, 'docs', 'operations.md'), 'utf8');
    for (const [overlay, want] of Object.entries(kernel)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| ${overlay} `));
      assert.ok(row, `docs/operations.md has a row for ${overlay}`);
      for (const c of want.caps) assert.match(row, new RegExp(`\\b${c}\\b`), `${overlay}: ${c} documented`);
    }
  });
});
