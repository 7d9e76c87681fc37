// Live kernel + emulated Kubernetes API: two cgroups named like the container scopes of
// two pods, and the emulated API server listing both pods (owned by one ReplicaSet owned
// by Deployment shop/web). The agent runs bpftrace; what both replicas do is attributed
// to shop/Deployment/web and learned into ONE baseline; a new binary in one replica
// alerts on that workload; the alert, /metrics and `habitwatch baseline show` agree.
// (No kube-apiserver can be installed here: test/support/kube emulates it.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cgroup2Available, createTestContainer, type TestContainer } from '../support/cgroup.ts';
import { bpftraceInstalled, CLI, isRoot, REPO, requireComponent, waitFor } from '../support/env.ts';
import { startAgentProc, tempDir, TEST_TOKEN, type AgentProc } from '../support/agent-proc.ts';
import { KubeApiServer } from '../support/kube/server.ts';
import { cronJob, deployment, job, pod, replicaSet } from '../support/kube/objects.ts';
import type { Alert } from '../../models/alert.ts';

describe('e2e: Kubernetes workload identity on the live kernel (bpftrace + emulated API)', function () {
  this.timeout(180000);
  let kube: KubeApiServer;
  let agent: AgentProc;
  let replicas: TestContainer[] = [];
  const runs: TestContainer[] = [];
  let tmp: ReturnType<typeof tempDir>;
  let hook: Server;
  const delivered: Alert[] = [];

  before(async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    tmp = tempDir('hw-kube-e2e-');
    kube = await KubeApiServer.start();
    kube.installCrd(join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml'));
    replicas = [createTestContainer(), createTestContainer()];
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web')), '7d4b9c8f6d'));
    for (const [i, c] of replicas.entries()) {
      kube.apply(pod({ namespace: 'shop', name: `web-7d4b9c8f6d-r${i}xyz`, uid: c.podUid, owner: rs, node: 'test-node', containers: [{ name: 'app', id: c.containerId, image: 'registry.example/web:1.0', digest: `sha256:${'a'.repeat(64)}` }] }));
    }
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml());
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        try {
          // the webhook's native format: { version, sentAt, alerts: [{ idempotencyKey, revision, update, alert }] }
          for (const d of (JSON.parse(body) as { alerts: { alert: Alert }[] }).alerts) delivered.push(d.alert);
        } catch {
          /* not ours */
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    agent = await startAgentProc(
      tmp.dir,
      {
        sources: { enabled: ['bpftrace'], bpftrace: { cgroupPrefixes: ['/kubepods.slice'], syscalls: false, intervalS: 1 } },
        kubernetes: { kubeconfig },
        learning: { minLearning: '0s', quietPeriod: '3s' },
        sinks: [{ type: 'webhook', name: 'hook', url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/` }],
      },
      { timeoutMs: 60000 },
    );
    await waitFor(async () => (await agent.api('/readyz')).status === 200, { timeoutMs: 60000, what: 'agent ready (bpftrace attached)' });
  });

  after(async () => {
    await agent?.kill();
    for (const c of [...replicas, ...runs]) await c.remove();
    await kube?.close();
    hook?.close();
    tmp?.cleanup();
  });

  const baseline = async () =>
    (await (await agent.api('/v1/workloads/shop/Deployment/web/baseline')).json()) as { baselines?: { meta: { state: string; container: string }; items: { exec?: { key: string; nodes: string[] }[] } }[] };

  it('both replicas learn one baseline, shop/Deployment/web container app; a new binary alerts there', async () => {
    // replica 0 runs one thing, replica 1 another: both land in the same baseline
    await replicas[0].run('/bin/true');
    await replicas[1].run('/usr/bin/env true');
    await waitFor(
      async () => {
        const b = await baseline();
        const keys = b.baselines?.[0]?.items.exec?.map((i) => i.key) ?? [];
        return keys.includes('/usr/bin/true') && keys.includes('/usr/bin/env') ? b : undefined;
      },
      { timeoutMs: 60000, what: 'execs of both replicas in one baseline' },
    );
    const workloads = (await (await agent.api('/v1/workloads')).json()) as { workloads: { id: string; containers: { container: string }[] }[] };
    const ours = workloads.workloads.filter((w) => w.id.startsWith('shop/') || w.id.includes(replicas[0].podUid) || w.id.includes(replicas[1].podUid));
    assert.deepEqual(ours.map((w) => [w.id, w.containers.map((c) => c.container)]), [['shop/Deployment/web', ['app']]]);
    await waitFor(async () => (await baseline()).baselines?.[0]?.meta.state === 'stable', { timeoutMs: 60000, what: 'stable' });

    await replicas[1].run('/usr/bin/id -u >/dev/null');
    const alert = await waitFor(() => delivered.find((a) => a.rule === 'unexpected-exec' && a.evidence.exe === '/usr/bin/id'), { timeoutMs: 30000, what: 'alert on the new binary' }).catch(async (e) => {
      const stored = (await (await agent.api('/v1/alerts')).json()) as { alerts: Alert[] };
      throw new Error(`${(e as Error).message}; stored: ${JSON.stringify(stored.alerts.map((a) => [a.rule, a.workload.id, a.evidence]))}; delivered ${delivered.length}; logs: ${agent.logs().slice(-3000)}`);
    });
    assert.equal(alert.workload.id, 'shop/Deployment/web');
    assert.equal(alert.workload.namespace, 'shop');
    assert.equal(alert.workload.kind, 'Deployment');
    assert.equal(alert.workload.name, 'web');
    assert.equal(alert.workload.container, 'app');
    assert.equal(alert.workload.pod, 'web-7d4b9c8f6d-r1xyz');
    assert.equal(alert.workload.image, 'registry.example/web:1.0');

    const metrics = await (await agent.api('/metrics')).text();
    assert.match(metrics, /habitwatch_alerts_by_workload_total\{namespace="shop",workload="Deployment\/web"\} [1-9]/);
    assert.match(metrics, /habitwatch_alerts_total\{rule="unexpected-exec",severity="[a-z]+",namespace="shop"\} [1-9]/);
    assert.match(metrics, /habitwatch_kube_informer_up\{informer="pods"\} 1/);

    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'baseline', 'show', 'shop/Deployment/web', '--api', `http://127.0.0.1:${agent.port}`, '--token', TEST_TOKEN], { cwd: REPO });
    assert.match(stdout, /shop\/Deployment\/web/);
    assert.match(stdout, /\/usr\/bin\/true/);
    assert.match(stdout, /\/usr\/bin\/env/);
    assert.match(stdout, /stable/);
  });

  it('a CronJob’s runs (a new pod, cgroup and container id each) accumulate into one baseline that becomes stable, then alerts on a new binary', async () => {
    const cj = kube.apply(cronJob('batch', 'report'));
    const minute = Math.floor(Date.now() / 60000);
    const wl = async () => (await (await agent.api('/v1/workloads/batch/CronJob/report/baseline')).json()) as { baselines?: { meta: { state: string }; items: { exec?: { key: string }[] } }[] };
    /** one run: its Job and pod in the API, its container cgroup on the node, a few seconds of work, then gone */
    async function run(i: number, script: string): Promise<string> {
      const c = createTestContainer();
      runs.push(c);
      const j = kube.apply(job('batch', '', cj, minute + i));
      const p = kube.apply(pod({ namespace: 'batch', name: `${j.metadata.name}-b${i}xz7`, uid: c.podUid, owner: j, node: 'test-node', containers: [{ name: 'report', id: c.containerId, image: 'registry.example/report:2.1', digest: `sha256:${'b'.repeat(64)}` }] }));
      const r = await c.run(script);
      assert.equal(r.code, 0, r.stderr);
      return p.metadata.name!;
    }
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      await run(i, '/bin/date >/dev/null; /usr/bin/env true; /bin/true');
      const b = await waitFor(async () => (await wl()).baselines?.[0], { timeoutMs: 30000, what: `run ${i} learned` });
      states.push(b.meta.state);
    }
    const keys = ((await wl()).baselines?.[0].items.exec ?? []).map((x) => x.key);
    assert.ok(keys.some((k) => k.endsWith('/date')) && keys.includes('/usr/bin/env'), keys.join());
    // one spelling per binary, though every run's processes are gone within milliseconds
    // (binpath.ts): /bin/date and /usr/bin/date learned as two would alert on whichever came second
    assert.deepEqual(keys.filter((k) => k.startsWith('/bin/')), [], keys.join());
    // every run in one baseline: no workload per run, per pod or per container
    const ids = ((await (await agent.api('/v1/workloads')).json()) as { workloads: { id: string }[] }).workloads.map((w) => w.id);
    assert.deepEqual(ids.filter((id) => id.includes('report') || runs.some((c) => id.includes(c.podUid))), ['batch/CronJob/report']);
    await waitFor(async () => (await wl()).baselines?.[0].meta.state === 'stable', { timeoutMs: 30000, what: 'the CronJob’s baseline stable' });
    assert.equal(states[0], 'learning', 'it learned across runs first');

    const last = await run(9, '/bin/date >/dev/null; /usr/bin/id -u >/dev/null');
    const alert = await waitFor(() => delivered.find((a) => a.rule === 'unexpected-exec' && a.evidence.exe === '/usr/bin/id' && a.workload.id === 'batch/CronJob/report'), {
      timeoutMs: 30000,
      what: 'the alert on the new binary in a later run',
    }).catch(async (e) => {
      const stored = (await (await agent.api('/v1/alerts')).json()) as { alerts: Alert[] };
      const metrics = (await (await agent.api('/metrics')).text()).split('\n').filter((l) => /^habitwatch_(enrichment|kube_pods|kube_owner)/.test(l));
      throw new Error(`${(e as Error).message}; stored: ${JSON.stringify(stored.alerts.map((a) => [a.rule, a.workload.id, a.evidence]))}; ${metrics.join('; ')}; baseline: ${JSON.stringify(await wl())}; logs: ${agent.logs().slice(-3000)}`);
    });
    assert.equal(alert.workload.pod, last);
    assert.equal(alert.workload.container, 'report');
    assert.ok(!delivered.some((a) => a.workload.id === 'batch/CronJob/report' && a.evidence.exe !== '/usr/bin/id'), 'the runs’ own habits never alert');
  });
});
