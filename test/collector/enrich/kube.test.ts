// Kubernetes enrichment against the emulated API server, through the real client-node:
// workloads by their real names (owner chains), held events of containers the API has
// not reported yet, API outages and 410 relists, and identity without the API from the
// container runtime's bundles on the node (a fake runtime directory).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnricher, type Enricher } from '../../../collector/enrich/index.ts';
import { createKubeEnrichment, type KubeEnrichment } from '../../../collector/enrich/kube/index.ts';
import { silentLogger } from '../../../collector/log.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { KubeApiServer } from '../../support/kube/server.ts';
import { cronJob, deployment, endpointSlice, job, pod, randomContainerId, replicaSet, service, workload } from '../../support/kube/objects.ts';
import { waitFor } from '../../support/env.ts';

export function podCgroup(podUid: string, containerId: string): string {
  return `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${podUid.replaceAll('-', '_')}.slice/cri-containerd-${containerId}.scope`;
}

export function rawExec(path: string, exe = '/usr/bin/app'): RuntimeEvent {
  return { time: Date.now(), node: 'node-a', source: 'test', process: { pid: 10, exe, args: [exe] }, cgroup: { path }, enrichment: 'complete', kind: 'exec' };
}

describe('Kubernetes enrichment (emulated API server, real client-node)', function () {
  this.timeout(20000);
  let kube: KubeApiServer;
  let k: KubeEnrichment;
  let enricher: Enricher;
  let released: RuntimeEvent[];

  async function start(o: { holdMs?: number; runtimeDir?: string; api?: boolean; peers?: 'headless' | 'all' | 'off' } = {}): Promise<void> {
    k = await createKubeEnrichment({
      node: 'node-a',
      log: silentLogger,
      ...(o.api === false ? {} : { kc: kube.kubeConfig() }),
      runtimeDirs: o.runtimeDir ? [{ runtime: 'containerd', dir: o.runtimeDir }] : [],
      backoff: { initialMs: 20, maxMs: 100 },
      ownerRetry: { initialMs: 20, maxMs: 100 },
      ...(o.peers ? { peers: o.peers } : {}),
    });
    enricher = createEnricher([k.step], { holdMs: o.holdMs ?? 2000 });
    released = [];
    enricher.setSink((evs) => released.push(...evs));
    k.start();
    if (o.api !== false) await waitFor(() => k.stats().synced && k.stats().connected, { what: 'pod informer live' });
  }

  /** enrich one event; undefined when it was held back */
  function one(ev: RuntimeEvent): RuntimeEvent | undefined {
    const batch = [ev];
    enricher.enrich(batch);
    return batch[0];
  }

  beforeEach(async () => {
    kube = await KubeApiServer.start({ bookmarkIntervalMs: 200 });
  });
  afterEach(async () => {
    enricher?.close();
    await k?.stop();
    await kube.close();
  });

  it('names a Deployment pod by its owner chain, with container, image digest, service account and labels; one GET per ReplicaSet', async () => {
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web')), '7d4b9c8f6d'));
    const uid = randomUUID();
    const cid = randomContainerId();
    const p = kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', serviceAccount: 'web-sa', containers: [{ name: 'app', id: cid, image: 'registry.example/web:1.2', digest: 'sha256:' + 'ab'.repeat(32) }] }));
    // a pod of another node is never listed
    kube.apply(pod({ namespace: 'shop', owner: rs, node: 'node-b', containers: [{ name: 'app' }] }));
    await start();
    await waitFor(() => k.pods.size === 1, { what: 'pod listed' });
    // the first event waits for the owner lookup (held), the rest are immediate
    const first = rawExec(podCgroup(uid, cid));
    const got = one(first) ?? (await waitFor(() => released.find((e) => e === first), { what: 'first event released' }));
    for (let i = 0; i < 50; i++) assert.ok(one(rawExec(podCgroup(uid, cid))), 'resolved containers are never held');
    assert.equal(got.workload?.id, 'shop/Deployment/web');
    assert.deepEqual(
      { ...got.workload },
      {
        id: 'shop/Deployment/web',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        container: 'app',
        pod: p.metadata.name,
        podUid: uid,
        image: 'registry.example/web:1.2',
        serviceAccount: 'web-sa',
        labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6d' },
      },
    );
    assert.deepEqual({ ...got.container }, { id: cid, runtime: 'containerd', name: 'app', image: 'registry.example/web:1.2', imageDigest: 'sha256:' + 'ab'.repeat(32) });
    assert.equal(got.enrichment, 'complete');
    const gets = kube.requests.filter((r) => r.verb === 'get');
    assert.deepEqual(gets.map((r) => `${r.group}/${r.resource} ${r.namespace}/${r.name}`), ['apps/replicasets shop/web-7d4b9c8f6d']);
    const watch = kube.requests.find((r) => r.verb === 'watch')!;
    assert.equal(watch.query.fieldSelector, 'spec.nodeName=node-a');
    assert.equal(watch.query.allowWatchBookmarks, 'true');
  });

  it('CronJob runs, StatefulSets, DaemonSets, bare and static pods', async () => {
    const cj = kube.apply(cronJob('batch', 'report'));
    const j = kube.apply(job('batch', '', cj, 29_000_000));
    const sts = kube.apply(workload('StatefulSet', 'db', 'postgres'));
    const ds = kube.apply(workload('DaemonSet', 'kube-system', 'fluentbit'));
    const node = kube.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    const cases: [string, Parameters<typeof pod>[0]][] = [
      ['batch/CronJob/report', { namespace: 'batch', owner: j, node: 'node-a', containers: [{ name: 'job' }] }],
      ['db/StatefulSet/postgres', { namespace: 'db', name: 'postgres-0', owner: sts, node: 'node-a', containers: [{ name: 'pg' }] }],
      ['kube-system/DaemonSet/fluentbit', { namespace: 'kube-system', owner: ds, node: 'node-a', containers: [{ name: 'fb' }] }],
      ['default/Pod/debug', { namespace: 'default', name: 'debug', node: 'node-a', containers: [{ name: 'sh' }] }],
      ['kube-system/StaticPod/etcd', { namespace: 'kube-system', name: 'etcd-node-a', owner: node, node: 'node-a', containers: [{ name: 'etcd' }] }],
    ];
    const ids = cases.map(([, p]) => {
      const uid = randomUUID();
      const cid = randomContainerId();
      kube.apply(pod({ ...p, uid, containers: p.containers.map((c) => ({ ...c, id: cid })) }));
      return { uid, cid };
    });
    await start();
    for (const [i, [want]] of cases.entries()) {
      const ev = rawExec(podCgroup(ids[i].uid, ids[i].cid));
      const got = one(ev) ?? (await waitFor(() => released.find((e) => e === ev), { what: want }));
      assert.equal(got.workload?.id, want);
      assert.equal(got.enrichment, 'complete');
    }
  });

  it('holds the events of a container the API has not reported yet, in order, and releases them when its pod shows up', async () => {
    await start();
    const uid = randomUUID();
    const cid = randomContainerId();
    const evs = [rawExec(podCgroup(uid, cid), '/usr/bin/a'), rawExec(podCgroup(uid, cid), '/usr/bin/b')];
    const batch = [...evs, rawExec('/system.slice/cron.service', '/usr/sbin/cron')];
    enricher.enrich(batch);
    assert.deepEqual(batch.map((e) => e.process.exe), ['/usr/sbin/cron'], 'only the unknown container waits; others go on');
    assert.equal(enricher.held, 2);
    assert.equal(one(rawExec(podCgroup(uid, cid), '/usr/bin/c')), undefined, 'later events of it queue behind');
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));
    kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', containers: [{ name: 'app', id: cid }] }));
    await waitFor(() => released.length === 3, { what: 'released' });
    assert.deepEqual(released.map((e) => e.process.exe), ['/usr/bin/a', '/usr/bin/b', '/usr/bin/c']);
    for (const e of released) assert.equal(e.workload?.id, 'shop/Deployment/web');
    assert.equal(k.step.counters.resolvedAfterHold, 1);
    assert.equal(k.step.counters.partial.pod_unknown, 0);
  });

  it('a container still unknown after the hold goes on partial (counted), and is not held again', async () => {
    await start({ holdMs: 50 });
    const uid = randomUUID();
    const cid = randomContainerId();
    assert.equal(one(rawExec(podCgroup(uid, cid))), undefined);
    const got = await waitFor(() => released[0], { what: 'released after the hold' });
    assert.equal(got.enrichment, 'partial');
    assert.equal(got.workload?.id, `host/pod/${uid}`);
    assert.equal(got.workload?.container, cid.slice(0, 12));
    assert.equal(k.step.counters.partial.pod_unknown, 1);
    assert.ok(one(rawExec(podCgroup(uid, cid))), 'not held a second time');
  });

  it('API down: nothing is held, identities are provisional; back up: the informer recovers and names them', async () => {
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));
    await start();
    await kube.down('refuse');
    await waitFor(() => !k.stats().connected, { what: 'informer noticed' });
    const uid = randomUUID();
    const cid = randomContainerId();
    kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', containers: [{ name: 'app', id: cid }] }));
    const down = one(rawExec(podCgroup(uid, cid)));
    assert.ok(down, 'not held while the API is unreachable');
    assert.equal(down.enrichment, 'partial');
    assert.equal(k.step.counters.partial.api_unavailable, 1);
    await kube.up();
    await waitFor(() => k.stats().connected && k.pods.size === 1, { what: 'recovered' });
    const up = one(rawExec(podCgroup(uid, cid))) ?? (await waitFor(() => released[0]));
    assert.equal(up.workload?.id, 'shop/Deployment/web');
    assert.ok(k.stats().informers.every((i) => i.errors >= 1));
  });

  it('a 410 on the watch relists: a pod deleted while the watch was down is gone', async () => {
    const uid = randomUUID();
    kube.apply(pod({ namespace: 'default', name: 'gone', uid, node: 'node-a', containers: [{ name: 'c' }] }));
    await start();
    await waitFor(() => k.pods.size === 1);
    kube.closeWatches();
    kube.delete('v1', 'Pod', 'default', 'gone');
    kube.compact();
    await waitFor(() => k.pods.size === 0, { what: 'relisted' });
    assert.equal(k.stats().informers.find((i) => i.name === 'pods')?.lists, 2);
  });

  it('destination identity: ClusterIPs and headless Services’ pods by Service, this node’s pods by workload, the rest stay addresses', async () => {
    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));
    const uid = randomUUID();
    const cid = randomContainerId();
    kube.apply(pod({ namespace: 'shop', uid, owner: rs, node: 'node-a', ip: '10.244.1.7', containers: [{ name: 'app', id: cid }] }));
    const api = kube.apply(service('shop', 'api', '10.96.0.20', [8080]));
    kube.apply(endpointSlice(api, [{ ip: '10.244.9.1' }]));
    const pg = kube.apply(service('db', 'postgres', 'None', [5432]));
    kube.apply(endpointSlice(pg, [{ ip: '10.244.5.3', pod: 'postgres-0' }, { ip: 'fd00::5' }], 5432));
    await start();
    await waitFor(() => k.stats().peerAddresses === 3, { what: 'services and headless slices indexed' });
    const conn = (dst: string, port: number): RuntimeEvent => {
      const ev: RuntimeEvent = { ...rawExec(podCgroup(uid, cid)), kind: 'connect', proto: 'tcp', dstAddr: dst, dstPort: port } as RuntimeEvent;
      return one(ev) ?? released.find((e) => e === ev)!;
    };
    await waitFor(() => one(rawExec(podCgroup(uid, cid))) ?? released[0], { what: 'pod resolved' });
    const peer = (e: RuntimeEvent) => (e.kind === 'connect' ? e.peer : undefined);
    assert.equal(peer(conn('10.96.0.20', 8080)), 'svc:shop/api');
    assert.equal(peer(conn('10.244.5.3', 5432)), 'svc:db/postgres');
    assert.equal(peer(conn('::ffff:10.244.5.3', 5432)), 'svc:db/postgres', 'v4-mapped');
    assert.equal(peer(conn('fd00::5', 5432)), 'svc:db/postgres');
    assert.equal(peer(conn('10.244.9.1', 8080)), undefined, 'a ClusterIP Service’s pod addresses are not read by default');
    assert.equal(peer(conn('10.244.1.7', 9000)), 'shop/Deployment/web', 'a pod of this node');
    assert.equal(peer(conn('93.184.215.14', 443)), undefined);
    const listen = one({ ...rawExec(podCgroup(uid, cid)), kind: 'listen', proto: 'tcp', addr: '10.244.1.7', port: 8080 } as RuntimeEvent)!;
    assert.equal(listen.kind === 'listen' && listen.peer, 'pod');
    // a Service deleted: its address is an address again
    kube.delete('v1', 'Service', 'shop', 'api');
    await waitFor(() => peer(conn('10.96.0.20', 8080)) === undefined, { what: 'service forgotten' });
    const sliceWatch = kube.requests.find((r) => r.verb === 'watch' && r.resource === 'endpointslices')!;
    assert.equal(sliceWatch.query.labelSelector, 'service.kubernetes.io/headless');
  });

  it('peers: all reads every EndpointSlice', async () => {
    const api = kube.apply(service('shop', 'api', '10.96.0.20', [8080]));
    kube.apply(endpointSlice(api, [{ ip: '10.244.9.1' }]));
    await start({ peers: 'all' });
    await waitFor(() => k.stats().peerAddresses === 2, { what: 'all slices indexed' });
  });

  describe('without the API: names from the container runtime on the node', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'hw-runtime-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function bundle(id: string, annotations: Record<string, string>, crio = false): void {
      const d = crio ? join(dir, id, 'userdata') : join(dir, id);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ociVersion: '1.1.0', process: { args: ['/app'] }, annotations }));
    }

    it('containerd bundles give namespace, pod and container; the workload is inferred from the pod name', async () => {
      await start({ api: false, runtimeDir: dir });
      const uid = randomUUID();
      const cid = randomContainerId();
      bundle(cid, {
        'io.kubernetes.cri.container-type': 'container',
        'io.kubernetes.cri.container-name': 'app',
        'io.kubernetes.cri.sandbox-name': 'web-7d4b9c8f6d-x2k9p',
        'io.kubernetes.cri.sandbox-namespace': 'shop',
        'io.kubernetes.cri.sandbox-uid': uid,
        'io.kubernetes.cri.image-name': 'registry.example/web:1.2',
      });
      const got = one(rawExec(podCgroup(uid, cid)))!;
      assert.equal(got.workload?.id, 'shop/Deployment/web');
      assert.equal(got.workload?.container, 'app');
      assert.equal(got.workload?.pod, 'web-7d4b9c8f6d-x2k9p');
      assert.equal(got.enrichment, 'partial');
      assert.equal(k.step.counters.partial.no_api, 1);
      // a restarted container (new id) of the same pod keeps the identity
      const cid2 = randomContainerId();
      bundle(cid2, { 'io.kubernetes.cri.container-name': 'app', 'io.kubernetes.cri.sandbox-name': 'web-7d4b9c8f6d-x2k9p', 'io.kubernetes.cri.sandbox-namespace': 'shop' });
      assert.equal(one(rawExec(podCgroup(uid, cid2)))!.workload?.id, 'shop/Deployment/web');
      // a CronJob run, and a pod whose name says nothing
      const cid3 = randomContainerId();
      bundle(cid3, { 'io.kubernetes.cri.container-name': 'job', 'io.kubernetes.cri.sandbox-name': 'report-29000000-b7x4q', 'io.kubernetes.cri.sandbox-namespace': 'batch' });
      assert.equal(one(rawExec(podCgroup(randomUUID(), cid3)))!.workload?.id, 'batch/CronJob/report');
      const cid4 = randomContainerId();
      bundle(cid4, { 'io.kubernetes.cri.container-name': 'sh', 'io.kubernetes.cri.sandbox-name': 'debug', 'io.kubernetes.cri.sandbox-namespace': 'default' });
      assert.equal(one(rawExec(podCgroup(randomUUID(), cid4)))!.workload?.id, 'default/Pod/debug');
    });

    it('CRI-O bundles (labels as JSON) are read too; without any bundle the pod UID is the key', async () => {
      k = await createKubeEnrichment({ node: 'node-a', log: silentLogger, runtimeDirs: [{ runtime: 'cri-o', dir }] });
      enricher = createEnricher([k.step]);
      const cid = randomContainerId();
      bundle(
        cid,
        {
          'io.kubernetes.cri-o.ContainerType': 'container',
          'io.kubernetes.cri-o.Labels': JSON.stringify({ 'io.kubernetes.container.name': 'api', 'io.kubernetes.pod.name': 'api-5c6d7f8b9c-qwrtz', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'u' }),
        },
        true,
      );
      const crioPath = (uid: string, id: string) => `/kubepods.slice/kubepods-pod${uid.replaceAll('-', '_')}.slice/crio-${id}.scope`;
      assert.equal(one(rawExec(crioPath(randomUUID(), cid)))!.workload?.id, 'shop/Deployment/api');
      const uid = randomUUID();
      const bare = one(rawExec(crioPath(uid, randomContainerId())))!;
      assert.equal(bare.workload?.id, `host/pod/${uid}`);
      // not a pod at all: left to the standalone identity
      assert.equal(one(rawExec('/system.slice/nginx.service'))!.workload?.id, 'host/cgroup/system.slice/nginx.service');
    });
  });
});
