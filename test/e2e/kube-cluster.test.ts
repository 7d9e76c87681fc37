// One baseline per workload across nodes, with real agent processes: agents on node-a
// and node-b (two processes, two SQLite files) learn different things of Deployment
// shop/web and converge, through one emulated API server (no kube-apiserver can be
// installed here: test/support/kube emulates it), on one WorkloadBaseline; an agent on
// node-c started later raises nothing for what the other two learned and alerts on a
// new binary. Then the API server goes away for 60 s: detection goes on (alerts at the
// start and at the end of the outage), both agents stay up and ready, a responder's
// approval made meanwhile reaches the cluster object when it is back.
//
// Each agent reads its node's events from a file (the `events` source) with the pod's
// cgroup path and no workload: the Kubernetes enrichment names them, as it does bpftrace's
// events in kube-identity.test.ts.
//
// The outage lasts 60 s, as the issue asks: that is the scenario's length, not a wait for
// a condition (every condition in it is waited for). Meanwhile the retries reach their cap
// (retry.max 500 ms) and fail there many times over, the watch's resourceVersion expires
// (the server compacts its history during the outage, so the watch must relist — what
// 60 s of churn in a real cluster does) and a person's approval is made on one node.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startAgentProc, tempDir, type AgentProc } from '../support/agent-proc.ts';
import { REPO, waitFor } from '../support/env.ts';
import { KubeApiServer } from '../support/kube/server.ts';
import { deployment, pod, randomContainerId, replicaSet } from '../support/kube/objects.ts';
import type { WorkloadBaselineObject } from '../../agent/kube/crd.ts';
import type { Alert } from '../../models/alert.ts';

const CRD = join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml');

interface Replica {
  node: string;
  uid: string;
  cid: string;
  file: string;
  agent?: AgentProc;
  dir: ReturnType<typeof tempDir>;
}

describe('e2e: agents on three nodes share one baseline per workload (WorkloadBaseline, emulated API)', function () {
  this.timeout(180000);
  let kube: KubeApiServer;
  let rs: ReturnType<KubeApiServer['apply']>;
  const replicas: Record<string, Replica> = {};

  const object = (): WorkloadBaselineObject | undefined => kube.read('habitwatch.io/v1alpha1', 'WorkloadBaseline', 'shop', 'deployment.web') as WorkloadBaselineObject | undefined;
  const execs = (o = object()): string[] => (o?.spec.containers.find((c) => c.name === 'app')?.items?.exec ?? []).map((i) => i.key).sort();

  function replica(node: string): Replica {
    const r: Replica = { node, uid: randomUUID(), cid: randomContainerId(), file: '', dir: tempDir(`hw-kc-${node}-`) };
    r.file = join(r.dir.dir, 'events.jsonl');
    writeFileSync(r.file, '');
    kube.apply(pod({ namespace: 'shop', name: `web-7d4b9c8f6d-${node.slice(-1)}xkqz`, uid: r.uid, owner: rs, node, containers: [{ name: 'app', id: r.cid, image: 'registry.example/web:1.0', digest: 'sha256:' + '1'.repeat(64) }] }));
    replicas[node] = r;
    return r;
  }

  /** an exec in the replica's container, written to its node's event file */
  function exec(r: Replica, exe: string): void {
    const path = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${r.uid.replaceAll('-', '_')}.slice/cri-containerd-${r.cid}.scope`;
    appendFileSync(r.file, JSON.stringify({ time: Date.now(), kind: 'exec', process: { pid: 4242, exe, args: [exe] }, cgroup: { path } }) + '\n');
  }

  async function start(r: Replica): Promise<AgentProc> {
    const kubeconfig = join(r.dir.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml());
    r.agent = await startAgentProc(r.dir.dir, {
      node: r.node,
      sources: { enabled: ['events'], events: { paths: [r.file], follow: true } },
      kubernetes: { kubeconfig, retry: { initial: '100ms', max: '500ms' }, baselines: { writeInterval: '300ms' } },
      learning: { minLearning: '0s', quietPeriod: '2s' },
    });
    return r.agent;
  }

  const local = async (r: Replica): Promise<{ state: string; execs: string[] } | undefined> => {
    const res = await r.agent!.api('/v1/workloads/shop/Deployment/web/baseline');
    if (res.status !== 200) return undefined;
    const b = ((await res.json()) as { baselines: { meta: { state: string }; items: { exec?: { key: string }[] } }[] }).baselines[0];
    return b ? { state: b.meta.state, execs: (b.items.exec ?? []).map((i) => i.key).sort() } : undefined;
  };
  const alerts = async (r: Replica): Promise<Alert[]> => ((await (await r.agent!.api('/v1/alerts')).json()) as { alerts: Alert[] }).alerts;

  before(async () => {
    kube = await KubeApiServer.start({ bookmarkIntervalMs: 500 });
    kube.installCrd(CRD);
    rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web')), '7d4b9c8f6d'));
  });

  after(async () => {
    for (const r of Object.values(replicas)) {
      await r.agent?.kill();
      r.dir.cleanup();
    }
    await kube?.close();
  });

  it('node-a and node-b learn different items and converge on one WorkloadBaseline', async () => {
    const a = replica('node-a');
    const b = replica('node-b');
    await Promise.all([start(a), start(b)]);
    exec(a, '/usr/bin/app');
    exec(a, '/usr/bin/curl');
    exec(b, '/usr/bin/app');
    exec(b, '/usr/bin/worker');
    const all = ['/usr/bin/app', '/usr/bin/curl', '/usr/bin/worker'];
    await waitFor(() => execs().join() === all.join(), { timeoutMs: 30000, what: 'the union in the object' });
    await waitFor(async () => (await local(a))?.execs.join() === all.join() && (await local(b))?.execs.join() === all.join(), { timeoutMs: 30000, what: 'both local baselines have the union' });
    await waitFor(async () => (await local(a))?.state === 'stable' && (await local(b))?.state === 'stable' && object()?.status?.state === 'stable', { timeoutMs: 30000, what: 'stable everywhere' });
    const o = object()!;
    assert.deepEqual(o.status?.nodes, ['node-a', 'node-b']);
    assert.equal(o.status?.containers?.[0].version, 1);
    assert.equal(o.spec.containers[0].image, 'sha256:' + '1'.repeat(64));
    for (const r of [a, b]) assert.deepEqual((await alerts(r)).filter((x) => x.rule.startsWith('unexpected')), [], `${r.node}: nothing unexpected while learning`);
  });

  it('an agent on node-c, started later, is quiet on what the others learned and alerts on a new binary', async () => {
    const c = replica('node-c');
    await start(c);
    await waitFor(async () => (await local(c))?.state === 'stable', { timeoutMs: 30000, what: 'node-c starts from the cluster’s stable baseline' });
    exec(c, '/usr/bin/app');
    exec(c, '/usr/bin/worker');
    exec(c, '/usr/bin/curl');
    exec(c, '/usr/bin/nc');
    const got = await waitFor(async () => (await alerts(c)).find((x) => x.evidence.exe === '/usr/bin/nc'), { timeoutMs: 30000, what: 'the alert on /usr/bin/nc' });
    assert.equal(got.rule, 'unexpected-exec');
    assert.equal(got.workload.id, 'shop/Deployment/web');
    assert.equal(got.workload.node, 'node-c');
    const others = (await alerts(c)).filter((x) => x.evidence.exe !== '/usr/bin/nc' && x.kind !== 'agent');
    assert.deepEqual(others.map((x) => `${x.rule} ${x.evidence.exe}`), [], 'nothing for items node-a and node-b learned');
  });

  it('API server down for 60 s: detection goes on, the agents stay up and ready; an approval made meanwhile reaches the cluster object once it is back', async () => {
    const a = replicas['node-a'];
    const b = replicas['node-b'];
    /** complete lists of the WorkloadBaseline watch so far */
    const lists = async (x: Replica): Promise<number> => Number(/habitwatch_kube_lists_total\{informer="workloadbaselines"\} (\d+)/.exec(await (await x.agent!.api('/metrics')).text())?.[1] ?? NaN);
    const listed = { a: await lists(a), b: await lists(b) };
    assert.ok(listed.a >= 1 && listed.b >= 1, `listed before the outage: ${JSON.stringify(listed)}`);
    await kube.down('refuse');
    const downAt = Date.now();
    // detection from the local baseline, without the API
    exec(a, '/usr/bin/wget');
    await waitFor(async () => (await alerts(a)).find((x) => x.evidence.exe === '/usr/bin/wget'), { timeoutMs: 20000, what: 'an alert while the API is down' });
    // a responder approves it on node-a meanwhile
    const r = await a.agent!.api('/v1/workloads/shop/Deployment/web/approve', { method: 'POST', body: JSON.stringify({ container: 'app', kind: 'exec', items: ['/usr/bin/wget'] }) });
    assert.equal(r.status, 200, await r.text());
    // the outage outlasts the retry cap several times over, and the watch's revision expires meanwhile
    const failures = async (): Promise<number> => Number(/habitwatch_kube_informer_errors_total\{informer="pods"\} (\d+)/.exec(await (await a.agent!.api('/metrics')).text())?.[1] ?? 0);
    const before = await failures();
    await waitFor(async () => (await failures()) >= before + 6, { timeoutMs: 30000, what: 'retries at their cap' });
    kube.apply(pod({ namespace: 'shop', name: 'unrelated', node: 'node-z', containers: [{ name: 'x' }] }));
    kube.compact();
    // the rest of the 60 s (the scenario's length, see the header): checked every second —
    // both agents running and ready (readiness does not depend on the API: docs/operations.md)
    const problems: string[] = [];
    let checks = 0;
    await waitFor(
      async () => {
        for (const x of [a, b]) {
          if (x.agent!.child.exitCode !== null) problems.push(`${x.node} exited during the outage:\n${x.agent!.logs().slice(-4000)}`);
          else {
            const ready = await x.agent!.api('/readyz').catch((e: unknown) => String(e));
            if (typeof ready === 'string' || ready.status !== 200) problems.push(`${x.node} not ready during the outage: ${typeof ready === 'string' ? ready : await ready.text()}`);
          }
        }
        checks++;
        return problems.length > 0 || Date.now() - downAt >= 60_000;
      },
      { timeoutMs: 75_000, intervalMs: 1000, what: '60 s of outage' },
    );
    assert.deepEqual(problems, []);
    assert.ok(checks >= 30, `checked the agents throughout the outage (${checks} times)`);
    // detection at the end of the outage too, on the other node
    exec(b, '/usr/bin/nmap');
    await waitFor(async () => (await alerts(b)).find((x) => x.evidence.exe === '/usr/bin/nmap'), { timeoutMs: 20000, what: 'an alert 60 s into the outage' });
    assert.ok((await failures()) >= before + 40, 'the pod informer kept retrying at its cap');
    await kube.up();
    await waitFor(() => execs().includes('/usr/bin/wget'), { timeoutMs: 30000, what: 'the approval in the cluster object' });
    const item = object()!.spec.containers[0].items!.exec!.find((i) => i.key === '/usr/bin/wget');
    assert.equal(item?.approved, true);
    await waitFor(async () => (await local(b))?.execs.includes('/usr/bin/wget'), { timeoutMs: 30000, what: 'node-b took the approved item' });
    // the watch's revision expired during the outage: each agent lists again
    await waitFor(async () => (await lists(a)) > listed.a && (await lists(b)) > listed.b, { timeoutMs: 30000, what: 'both agents relisted after the outage' });
    for (const x of [a, b]) assert.equal(x.agent!.child.exitCode, null, `${x.node} still running`);
  });
});
