// Identity moves through the whole in-process path: the pipeline, Kubernetes enrichment
// against the emulated API server (real client-node), the store. A container learns under
// its provisional identity while the API does not know its pod; when the pod appears, what
// was learned moves to the Deployment's baseline — in memory and in SQLite — and the
// provisional baseline is gone. Nothing learned is lost.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '../../../agent/pipeline.ts';
import { openDatabase, type Db } from '../../../agent/store/db.ts';
import { BaselineStore } from '../../../agent/store/baselines.ts';
import { createEnricher } from '../../../collector/enrich/index.ts';
import { createKubeEnrichment, type KubeEnrichment } from '../../../collector/enrich/kube/index.ts';
import { silentLogger } from '../../../collector/log.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { Engine, DEFAULT_ENGINE } from '../../../models/engine.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { rules } from '../../../models/rules/index.ts';
import { KubeApiServer } from '../../support/kube/server.ts';
import { deployment, pod, randomContainerId, replicaSet } from '../../support/kube/objects.ts';
import { testLearning } from '../../support/events.ts';
import { waitFor } from '../../support/env.ts';

describe('identity moves: learned provisionally, named by the API later (pipeline + enrichment + store)', function () {
  this.timeout(20000);
  let kube: KubeApiServer;
  let k: KubeEnrichment;
  let db: Db;
  let dir: string;

  /** the emulated API, the enrichment, a pipeline over a SQLite store (idle: baselines leave memory after 15 min idle) */
  async function setup(idle = false): Promise<{ store: BaselineStore; engine: Engine; p: Pipeline }> {
    kube = await KubeApiServer.start();
    dir = mkdtempSync(join(tmpdir(), 'hw-moves-'));
    db = openDatabase(join(dir, 'habitwatch.db'));
    const store = new BaselineStore(db);
    k = await createKubeEnrichment({ node: 'node-a', log: silentLogger, kc: kube.kubeConfig(), runtimeDirs: [], backoff: { initialMs: 20, maxMs: 100 } });
    const enricher = createEnricher([k.step], { holdMs: 30 });
    const engine = new Engine(new Profiler(testLearning(), idle ? { idleMs: 15 * 60_000, source: store } : {}), rules, DEFAULT_ENGINE);
    const p = new Pipeline({ engine, enricher, log: silentLogger, now: () => Date.now(), baselines: store });
    // what Pipeline.run wires: held events come back through the pipeline
    enricher.setSink((evs) => p.handle(evs, performance.now(), true));
    return { store, engine, p };
  }

  afterEach(async () => {
    await k?.stop();
    db?.close();
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** a container learns under its provisional key, then the API names its pod: all of it moves */
  async function learnThenName(source: 'cgroup path' | 'container named by its source'): Promise<void> {
    const { store, engine, p } = await setup();
    k.start();
    await waitFor(() => k.stats().synced && k.stats().connected, { what: 'informer live' });

    const uid = randomUUID();
    const cid = randomContainerId();
    const ev = (exe: string): RuntimeEvent => ({
      time: Date.now(),
      node: 'node-a',
      source: 'test',
      kind: 'exec',
      process: { pid: 3, exe, args: [exe] },
      cgroup: { path: `/kubepods.slice/kubepods-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${cid}.scope` },
      ...(source === 'cgroup path' ? {} : { container: { id: cid, runtime: 'containerd' as const, name: 'app' } }),
      enrichment: 'complete',
    });
    // the pod is not in the API: held, then learned under its pod UID (and the
    // container's name when its source gave one, else the id's first 12 hex)
    p.handle([ev('/usr/bin/app'), ev('/usr/bin/helper')]);
    const provisional = `host/pod/${uid}#${source === 'cgroup path' ? cid.slice(0, 12) : 'app'}`;
    await waitFor(() => engine.profiler.baselines.get(provisional)?.has('exec', '/usr/bin/helper'), { what: 'learned provisionally' });
    p.flush();
    assert.ok(store.loadAll().some((b) => b.key === provisional), 'stored under the provisional key');

    // the kubelet reports it: the pod (and its owners) arrive
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));
    kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', containers: [{ name: 'app', id: cid }] }));
    await waitFor(() => k.pods.size === 1, { what: 'pod known' });
    // the next event (any) applies the moves
    await waitFor(
      () => {
        p.handle([ev('/usr/bin/app')]);
        return engine.profiler.baselines.get('shop/Deployment/web#app')?.has('exec', '/usr/bin/helper');
      },
      { what: 'moved' },
    );
    assert.equal(engine.profiler.baselines.has(provisional), false);
    p.flush();
    const stored = store.loadAll();
    assert.ok(!stored.some((b) => b.key === provisional), 'the provisional baseline is gone from the store');
    const web = stored.find((b) => b.key === 'shop/Deployment/web#app')!;
    assert.ok(web.has('exec', '/usr/bin/app') && web.has('exec', '/usr/bin/helper'), 'nothing learned was lost');
    assert.equal(web.meta.provisional, false);
  }

  it('moves what a container learned under its pod UID to its Deployment once the API names it', () => learnThenName('cgroup path'));

  it('the same for a container its source named: pod UID + container name move too', () => learnThenName('container named by its source'));

  it('a move in the periodic pass keeps the moved baseline in memory through the idle pass that follows, with the image the API names', async () => {
    // idle baselines leave memory after 15 min: a moved one was just used, it stays
    const { engine, p } = await setup(true);
    const uid = randomUUID();
    const cid = randomContainerId();
    // before the informer has listed: learned under the pod UID, without an image
    const path = `/kubepods.slice/kubepods-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${cid}.scope`;
    p.handle([{ time: Date.now(), node: 'node-a', source: 'test', kind: 'exec', process: { pid: 3, exe: '/usr/bin/app', args: ['/usr/bin/app'] }, cgroup: { path }, enrichment: 'complete' }]);
    const provisional = `host/pod/${uid}#${cid.slice(0, 12)}`;
    assert.ok(engine.profiler.baselines.get(provisional)?.has('exec', '/usr/bin/app'));
    const digest = 'sha256:' + '2'.repeat(64);
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));
    kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', containers: [{ name: 'app', id: cid, image: 'registry.example/web:2', digest }] }));
    k.start();
    await waitFor(() => k.pods.size === 1 && k.stats().synced, { what: 'pod known' });
    // the agent's periodic pass: moves, flush, then the idle pass
    await waitFor(
      () => {
        p.periodic();
        return engine.profiler.baselines.has('shop/Deployment/web#app');
      },
      { what: 'moved' },
    );
    const web = engine.profiler.baselines.get('shop/Deployment/web#app')!;
    assert.ok(web.has('exec', '/usr/bin/app'), 'what was learned moved');
    assert.equal(web.meta.image, digest, 'the image the API names');
    p.periodic();
    assert.equal(engine.profiler.baselines.get('shop/Deployment/web#app'), web, 'still in memory after the idle pass');
  });
});
