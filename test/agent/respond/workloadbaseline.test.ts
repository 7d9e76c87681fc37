// A baseline exported as its WorkloadBaseline object: the real kubectl creates it in the
// (emulated) API server from the CLI's YAML, validated there (the emulator serves no
// OpenAPI document for kubectl's client-side check) by the real CRD's schema with nothing
// pruned, and what the cluster then holds is the baseline — its items, a person's
// decisions (forbidden, locked) — as the baseline sync reads objects (fromObject); and
// the object as `kubectl get` returns it imports back through the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AgentHandle } from '../../../agent/agent.ts';
import { fromObject, type WorkloadBaselineObject } from '../../../agent/kube/crd.ts';
import { KubeApiServer } from '../../support/kube/server.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { startApiAgent } from '../../support/api-agent.ts';
import { CLI, REPO, kubectlInstalled, requireComponent, waitFor } from '../../support/env.ts';

const W = 'shop/Deployment/web';
const TOKEN = 'wb-admin-token-0123456789';
const run = promisify(execFile);


describe('baseline export as the WorkloadBaseline object', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let kube: KubeApiServer;
  let base: string;

  before(async function () {
    requireComponent(this, kubectlInstalled(), 'kubectl on PATH');
    tmp = tempDir('hw-wb-');
    const input = join(tmp.dir, 'events.jsonl');
    const ev = (kind: string, exe: string, extra: object = {}) =>
      JSON.stringify({ time: Date.now(), kind, workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: 9, exe, args: [exe] }, ...extra }) + '\n';
    // and a systemd service of the host: a workload without a Kubernetes name
    const host = JSON.stringify({ time: Date.now(), kind: 'exec', cgroup: { path: '/system.slice/nginx.service' }, process: { pid: 10, exe: '/usr/sbin/nginx', args: ['nginx'] } }) + '\n';
    writeFileSync(input, ev('exec', '/usr/bin/web') + ev('listen', '/usr/bin/web', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) + ev('file_write', '/usr/bin/web', { path: '/var/cache/web/1234/x', op: 'create' }) + host);
    agent = await startApiAgent(join(tmp.dir, 'data'), input, [{ name: 'gitops', token: TOKEN, role: 'admin' }]);
    base = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable' });
    for (const [verb, body] of [['forbid', { kind: 'exec', items: ['/usr/bin/nc'] }], ['lock', {}]] as const) {
      const r = await fetch(`${base}/v1/workloads/${W}/${verb}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 200);
    }
    kube = await KubeApiServer.start();
    kube.installCrd(join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml'));
  });
  after(async () => {
    await agent?.stop();
    await kube?.close();
    tmp?.cleanup();
  });

  it('habitwatch baseline export --format workloadbaseline -o yaml | kubectl create -f -: the cluster holds the baseline', async () => {
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml('any-token'));
    const env = { ...process.env, HABITWATCH_API: base, HABITWATCH_TOKEN: TOKEN, KUBECONFIG: kubeconfig, HOME: tmp.dir };
    const { stdout } = await run('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" baseline export ${W} --format workloadbaseline -o yaml | kubectl create --validate=false -f -`], { env });
    assert.match(stdout, /workloadbaseline\.habitwatch\.io\/deployment\.web created/);
    const sent = (await (await fetch(`${base}/v1/workloads/${W}/export?format=workloadbaseline`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as WorkloadBaselineObject;
    const held = kube.read('habitwatch.io/v1alpha1', 'WorkloadBaseline', 'shop', 'deployment.web') as unknown as WorkloadBaselineObject;
    assert.deepEqual(held.spec, sent.spec, 'the CRD schema pruned nothing');
    assert.equal(held.metadata.labels?.['habitwatch.io/workload'], sent.metadata.labels?.['habitwatch.io/workload']);
    // the baseline, as every agent's sync reads the object
    const c = fromObject(held.spec.containers[0], undefined);
    const b = agent.profiler.baselines.get(`${W}#app`)!;
    assert.equal(c.name, 'app');
    assert.equal(c.state, 'locked');
    assert.deepEqual(c.forbidden, { exec: ['/usr/bin/nc'] });
    for (const kind of ['exec', 'listen', 'file_write'] as const) {
      assert.deepEqual((c.items[kind] ?? []).map((i) => i.key), [...b.items.get(kind)!.keys()].sort(), kind);
    }
  });

  it('kubectl get wb -o yaml | habitwatch baseline import -: the object as the cluster returns it imports (docs/api.md)', async () => {
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml('any-token'));
    const env = { ...process.env, HABITWATCH_API: base, HABITWATCH_TOKEN: TOKEN, KUBECONFIG: kubeconfig, HOME: tmp.dir };
    // created by the test above
    const { stdout } = await run('bash', ['-c', `set -o pipefail; kubectl get wb -n shop deployment.web -o yaml | "${process.execPath}" "${CLI}" baseline import - --workload shop/Deployment/web-from-cluster`], { env });
    assert.match(stdout, /^created shop\/Deployment\/web-from-cluster#app: locked v\d+, \d+ item\(s\)$/m);
    const a = agent.profiler.baselines.get(`${W}#app`)!;
    const b = agent.profiler.baselines.get('shop/Deployment/web-from-cluster#app')!;
    for (const kind of ['exec', 'listen', 'file_write'] as const) assert.deepEqual([...b.items.get(kind)!.keys()].sort(), [...a.items.get(kind)!.keys()].sort(), kind);
    assert.deepEqual(b.meta.forbidden, { exec: ['/usr/bin/nc'] });
  });

  it('a workload outside Kubernetes has no object: 409 with the way', async () => {
    const id = await waitFor(() => [...agent.profiler.baselines.values()].find((b) => b.meta.workloadId.startsWith('host/'))?.meta.workloadId, { what: 'the host workload' });
    const r = await fetch(`${base}/v1/workloads/${id}/export?format=workloadbaseline`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 409);
    assert.match(((await r.json()) as { error: string }).error, /is not a Kubernetes workload .* export it as a BaselineExport document instead/);
    assert.equal((await fetch(`${base}/v1/workloads/${id}/export`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });
});
