// Cluster-wide baselines through WorkloadBaseline objects, in process: several "nodes"
// (each its own Profiler and BaselineSync) against one emulated API server with the
// real CRD (manifests/base/crds), through the real client-node. What one node learns reaches
// the others; a replica on a new node starts from the cluster's baseline; concurrent
// writers meet 409 and merge; stable workloads stop writing; an object past its budget
// makes the workload unstable once; versions and a person's decisions propagate.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KubeApiServer } from '../../support/kube/server.ts';
import { kubectlInstalled, REPO, requireComponent, waitFor } from '../../support/env.ts';
import { silentLogger } from '../../../collector/log.ts';
import { BaselineSync } from '../../../agent/kube/sync.ts';
import type { WorkloadBaselineObject } from '../../../agent/kube/crd.ts';
import { Engine, DEFAULT_ENGINE } from '../../../models/engine.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { rules } from '../../../models/rules/index.ts';
import { lock } from '../../../models/baseline/learning.ts';
import { judgeLate } from '../../../agent/moves.ts';
import type { AlertUpdate } from '../../../models/alert.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { connect, exec, testLearning, write } from '../../support/events.ts';
import { docBlocks } from '../../support/doc-blocks.ts';

const CRD = join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml');
const WEB = 'shop/Deployment/web';

interface Node {
  name: string;
  engine: Engine;
  sync: BaselineSync;
  /** judge an event now on this node; returns the alerts */
  see(ev: RuntimeEvent): AlertUpdate[];
  /** one sync round, then what it judged late */
  round(): Promise<AlertUpdate[]>;
}

describe('cluster-wide baselines: WorkloadBaseline sync (emulated API server, real client-node)', function () {
  this.timeout(30000);
  let kube: KubeApiServer;
  const nodes: Node[] = [];
  let clock = Date.now();
  const now = (): number => clock;

  function node(name: string, o: { maxObjectBytes?: number; workloads?: string[] } = {}): Node {
    const engine = new Engine(new Profiler(testLearning({ minLearningMs: 1000, quietPeriodMs: 1000 })), rules, DEFAULT_ENGINE);
    const sync = new BaselineSync({
      kc: kube.kubeConfig(),
      profiler: engine.profiler,
      node: name,
      log: silentLogger,
      writeIntervalMs: 100,
      maxObjectBytes: o.maxObjectBytes ?? 786_432,
      localWorkloads: () => o.workloads ?? [WEB],
      retry: { initialMs: 20, maxMs: 100 },
      now,
      rand: () => 0,
    });
    const n: Node = {
      name,
      engine,
      sync,
      see: (ev) => engine.process({ ...ev, node: name, time: now() } as RuntimeEvent, now()),
      async round() {
        await sync.tick();
        const out: AlertUpdate[] = [];
        judgeLate(sync.takeLate(), engine, name, now(), out);
        return out;
      },
    };
    nodes.push(n);
    return n;
  }

  const object = (): WorkloadBaselineObject | undefined => kube.read('habitwatch.io/v1alpha1', 'WorkloadBaseline', 'shop', 'deployment.web') as WorkloadBaselineObject | undefined;
  const itemsOf = (o: WorkloadBaselineObject | undefined, kind = 'exec'): string[] => (o?.spec.containers[0].items?.[kind as 'exec'] ?? []).map((i) => i.key).sort();
  const writes = (): number => kube.requests.filter((r) => r.resource === 'workloadbaselines' && (r.verb === 'create' || r.verb === 'update')).length;
  /** run sync rounds on these nodes until the condition holds */
  async function until<T>(ns: Node[], cond: () => T | undefined | false, what: string): Promise<T> {
    return waitFor(
      async () => {
        clock += 50;
        for (const n of ns) await n.round();
        return cond();
      },
      { what, timeoutMs: 15000, intervalMs: 10 },
    );
  }
  const stable = (n: Node): boolean => {
    n.engine.profiler.tickAll(now());
    return n.engine.profiler.baselines.get(`${WEB}#app`)?.meta.state === 'stable';
  };

  beforeEach(async () => {
    kube = await KubeApiServer.start({ bookmarkIntervalMs: 200 });
    kube.installCrd(CRD);
    clock = Date.now();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.sync.stop();
    await kube.close();
  });

  it('two nodes learning different items converge on one object and one baseline; writes stop once stable', async () => {
    const a = node('node-a');
    const b = node('node-b');
    a.see(exec('/usr/bin/app'));
    a.see(connect('10.0.0.7', 5432));
    b.see(exec('/usr/bin/app'));
    b.see(write('/data/x'));
    b.see(exec('/usr/bin/worker'));
    await until([a, b], () => itemsOf(object()).length === 2 && itemsOf(object(), 'file_write').length === 1 && itemsOf(object(), 'connect').length === 1, 'the union in the object');
    assert.deepEqual(itemsOf(object()), ['/usr/bin/app', '/usr/bin/worker']);
    await until([a, b], () => a.engine.profiler.baselines.get(`${WEB}#app`)!.has('file_write', '/data/x') && b.engine.profiler.baselines.get(`${WEB}#app`)!.has('connect', 'tcp 10.0.0.7:5432'), 'both baselines have the union');
    const o = await until([a, b], () => object()?.status?.nodes?.length === 2 && object(), 'both nodes named in the status');
    assert.equal(o.spec.workload.kind, 'Deployment');
    assert.equal(o.metadata.labels?.['habitwatch.io/workload']?.length, 16);
    assert.deepEqual(o.status?.nodes, ['node-a', 'node-b']);
    assert.equal(o.status?.items, 4);
    // stable on both (quiet), then written once more (the state), then silence
    clock += 5000;
    await until([a, b], () => stable(a) && stable(b) && object()?.status?.state === 'stable', 'stable in the object');
    for (let i = 0; i < 5; i++) await a.round(), await b.round();
    const settled = writes();
    for (let i = 0; i < 20; i++) {
      clock += 500;
      await a.round();
      await b.round();
    }
    assert.equal(writes(), settled, 'a stable, converged workload is not written again');
  });

  it('a replica on a new node starts from the cluster’s stable baseline: known items are quiet, a new one alerts', async () => {
    const a = node('node-a');
    a.see(exec('/usr/bin/app'));
    a.see(connect('10.0.0.7', 5432));
    await until([a], () => itemsOf(object()).length === 1, 'written');
    clock += 5000;
    await until([a], () => stable(a) && object()?.status?.state === 'stable', 'stable');
    const c = node('node-c');
    await until([c], () => c.engine.profiler.baselines.get(`${WEB}#app`)?.meta.state === 'stable', 'the new node took the cluster’s baseline');
    assert.deepEqual(c.see(exec('/usr/bin/app')), []);
    assert.deepEqual(c.see(connect('10.0.0.7', 5432)), []);
    const alert = c.see(exec('/usr/bin/nc'));
    assert.equal(alert[0]?.alert.rule, 'unexpected-exec');
    assert.equal(alert[0]?.alert.workload.id, WEB);
  });

  it('what a new node learned before the cluster’s stable baseline arrived is judged, not learned', async () => {
    const a = node('node-a');
    a.see(exec('/usr/bin/app'));
    await until([a], () => itemsOf(object()).length === 1, 'written');
    clock += 5000;
    await until([a], () => stable(a) && object()?.status?.state === 'stable', 'stable');
    const c = node('node-c');
    clock += 100;
    c.see(exec('/usr/bin/app'));
    c.see(exec('/tmp/implant'));
    const judged: AlertUpdate[] = [];
    await waitFor(async () => {
      clock += 50;
      judged.push(...(await c.round()));
      return c.engine.profiler.baselines.get(`${WEB}#app`)?.meta.state === 'stable';
    });
    assert.equal(c.engine.profiler.baselines.get(`${WEB}#app`)!.has('exec', '/tmp/implant'), false);
    assert.ok(judged.some((u) => u.alert.evidence.exe === '/tmp/implant'), JSON.stringify(judged.map((u) => u.alert.rule)));
    assert.deepEqual(itemsOf(object()), ['/usr/bin/app'], 'never written to the cluster');
  });

  it('concurrent writers: a stale resourceVersion gets 409, the loser re-reads, merges and wins the next round', async () => {
    const a = node('node-a');
    const b = node('node-b');
    a.see(exec('/usr/bin/a'));
    b.see(exec('/usr/bin/b'));
    // both watch the (absent) object, then both write at once
    await until([a, b], () => a.sync.stats.watched === 1 && b.sync.stats.watched === 1 && kube.openWatches('workloadbaselines') === 2, 'both watching');
    clock += 50;
    await Promise.all([a.round(), b.round()]);
    await until([a, b], () => itemsOf(object()).length === 2, 'both items written');
    const conflicts = kube.requests.filter((r) => r.resource === 'workloadbaselines' && r.code === 409);
    assert.ok(conflicts.length >= 1, 'one of them met a 409');
    assert.equal(a.sync.stats.conflicts + b.sync.stats.conflicts, conflicts.length);
  });

  it('an object past its size budget: the workload turns unstable here and in the object’s status, once — no write loop', async () => {
    const a = node('node-a', { maxObjectBytes: 4000 });
    a.see(exec('/usr/bin/app'));
    await until([a], () => object() !== undefined, 'first write');
    // distinct directories: nothing collapses, the object grows past 4000 bytes
    for (let i = 0; i < 100; i++) a.see(write(`/srv/a${i}b/conf${i}x.yaml`));
    await until([a], () => a.engine.profiler.baselines.get(`${WEB}#app`)!.meta.state === 'unstable' && object()?.status?.state === 'unstable', 'unstable');
    assert.match(a.engine.profiler.baselines.get(`${WEB}#app`)!.meta.unstableReason ?? '', /maxObjectBytes/);
    const before = writes();
    for (let i = 0; i < 10; i++) {
      clock += 500;
      await a.round();
    }
    assert.equal(writes(), before, 'no retries of a write that cannot fit');
    assert.equal(a.sync.stats.overBudget, 1);
  });

  it('API down: nothing is lost, detection goes on; back up: what was learned meanwhile is written', async () => {
    const a = node('node-a');
    a.see(exec('/usr/bin/app'));
    await until([a], () => itemsOf(object()).length === 1, 'written');
    await kube.down('refuse');
    a.see(exec('/usr/bin/during-outage'));
    for (let i = 0; i < 10; i++) {
      clock += 200;
      await a.round();
    }
    assert.ok(a.engine.profiler.baselines.get(`${WEB}#app`)!.has('exec', '/usr/bin/during-outage'), 'still learning locally');
    await kube.up();
    await until([a], () => itemsOf(object()).includes('/usr/bin/during-outage'), 'caught up');
  });

  it('a newer version (new image) on one node replaces the cluster’s; the others adopt it, keeping the old image as the same version', async () => {
    const a = node('node-a');
    const b = node('node-b');
    a.see(exec('/usr/bin/app', { image: 'web:1' }));
    b.see(exec('/usr/bin/helper', { image: 'web:1' }));
    await until([a, b], () => object()?.status?.nodes?.length === 2, 'both wrote v1');
    a.see(exec('/usr/bin/app2', { image: 'web:2' }));
    assert.equal(a.engine.profiler.baselines.get(`${WEB}#app`)!.meta.version, 2);
    await until([a, b], () => b.engine.profiler.baselines.get(`${WEB}#app`)!.meta.version === 2, 'b adopted version 2');
    const bb = b.engine.profiler.baselines.get(`${WEB}#app`)!;
    assert.equal(bb.meta.image, 'web:2');
    assert.ok(bb.has('exec', '/usr/bin/app2'));
    assert.equal(object()!.spec.containers[0].version, 2);
    // b's old replicas keep running web:1: same version, no flip
    b.see(exec('/usr/bin/app', { image: 'web:1' }));
    assert.equal(bb.meta.version, 2);
  });

  it('a person’s lock on one node, and an item removed there, hold on every node', async () => {
    const a = node('node-a');
    const b = node('node-b');
    a.see(exec('/usr/bin/app'));
    a.see(exec('/usr/bin/curl'));
    await until([a, b], () => b.engine.profiler.baselines.get(`${WEB}#app`)?.has('exec', '/usr/bin/curl'), 'b has curl');
    const ab = a.engine.profiler.baselines.get(`${WEB}#app`)!;
    ab.removeItem('exec', '/usr/bin/curl');
    clock += 10;
    lock(ab, 'alice', now());
    await until([a, b], () => b.engine.profiler.baselines.get(`${WEB}#app`)!.meta.state === 'locked', 'b locked');
    const bb = b.engine.profiler.baselines.get(`${WEB}#app`)!;
    assert.equal(bb.meta.lockedBy, 'alice');
    assert.equal(bb.has('exec', '/usr/bin/curl'), false, 'the removal reached b');
    assert.deepEqual(itemsOf(object()), ['/usr/bin/app']);
    assert.equal(object()!.spec.containers[0].lockedBy, 'alice');
  });

  it('kubectl get workloadbaselines -A: printer columns a responder can read', async function () {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const a = node('node-a');
    a.see(exec('/usr/bin/app'));
    a.see(write('/data/x'));
    await until([a], () => object()?.status?.items === 2, 'written');
    const dir = mkdtempSync(join(tmpdir(), 'hw-kubectl-'));
    try {
      writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfigYaml());
      requireComponent(this, kubectlInstalled(), 'kubectl');
      // docs/operations.md's example: both of its commands, the columns it shows
      const doc = docBlocks(['docs/operations.md']).find((b) => b.text.startsWith('kubectl get workloadbaselines -A'))!;
      const [cmd, header] = doc.text.split('\n');
      const commands = [cmd.replace(/\s*#.*$/, ''), cmd.replace(/^.*# or: /, '')];
      assert.deepEqual(commands, ['kubectl get workloadbaselines -A', 'kubectl get wb -A']);
      for (const c of commands) {
        const out = (await promisify(execFile)('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...c.split(' ').slice(1)], { env: { ...process.env, HOME: dir } })).stdout;
        assert.deepEqual(out.split('\n')[0].trim().split(/\s+/), header.trim().split(/\s+/), c);
        assert.match(out, /shop\s+deployment\.web\s+Deployment\s+web\s+learning\s+1\s+2\s+1\s/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
