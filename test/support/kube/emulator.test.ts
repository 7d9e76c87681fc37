// The emulated Kubernetes API server, driven by the real @kubernetes/client-node (its
// ListWatch informer, Watch and generated API clients) and the real kubectl: if these
// pass, code that works against it speaks the Kubernetes wire protocol as a real
// cluster expects.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { KubeApiServer } from './server.ts';
import { deployment, pod, replicaSet } from './objects.ts';
import { kubectlInstalled, requireComponent, waitFor } from '../env.ts';
import type { KubeObject } from './store.ts';

const WIDGETS: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, { name: 'State', type: 'string', jsonPath: '.status.state' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', maximum: 10 }, tags: { type: 'array', items: { type: 'string' } } } },
              status: { type: 'object', properties: { state: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

type Widget = KubernetesObject & { spec: { size: number; tags?: string[]; extra?: string }; status?: { state?: string } };

const code = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);
/** the Status message of a failed call (client-node keeps the body as text) */
const message = (e: unknown): string => (e instanceof ApiException ? ((JSON.parse(String(e.body)) as { message: string }).message ?? '') : '');

describe('emulated Kubernetes API server (driven by @kubernetes/client-node)', function () {
  this.timeout(20000);
  let kube: KubeApiServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const informers: ListWatch<KubernetesObject>[] = [];

  beforeEach(async () => {
    kube = await KubeApiServer.start({ bookmarkIntervalMs: 100 });
    const kc = kube.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  afterEach(async () => {
    for (const i of informers.splice(0)) await i.stop();
    await kube.close();
  });

  function podInformer(fieldSelector?: string): { lw: ListWatch<V1Pod>; names: () => string[]; events: string[]; errors: unknown[] } {
    const kc = kube.kubeConfig();
    const api = kc.makeApiClient(CoreV1Api);
    const events: string[] = [];
    const errors: unknown[] = [];
    const lw = new ListWatch<V1Pod>('/api/v1/pods', new Watch(kc), () => api.listPodForAllNamespaces({ fieldSelector }), false, undefined, fieldSelector);
    lw.on('add', (p) => events.push(`add ${p.metadata?.name}`));
    lw.on('update', (p) => events.push(`update ${p.metadata?.name}`));
    lw.on('delete', (p) => events.push(`delete ${p.metadata?.name}`));
    lw.on('error', (e) => errors.push(e));
    informers.push(lw as unknown as ListWatch<KubernetesObject>);
    return { lw, names: () => lw.list().map((p) => p.metadata!.name!).sort(), events, errors };
  }

  function seedPods(): { rs: KubeObject } {
    const d = kube.apply(deployment('shop', 'web'));
    const rs = kube.apply(replicaSet(d, 'abc12'));
    kube.apply(pod({ namespace: 'shop', name: 'web-1', owner: rs, node: 'node-a', containers: [{ name: 'app' }] }));
    kube.apply(pod({ namespace: 'shop', name: 'web-2', owner: rs, node: 'node-b', containers: [{ name: 'app' }] }));
    return { rs };
  }

  it('an informer lists and watches pods of one node (spec.nodeName field selector)', async () => {
    const { rs } = seedPods();
    const inf = podInformer('spec.nodeName=node-a');
    await inf.lw.start();
    assert.deepEqual(inf.names(), ['web-1']);
    kube.apply(pod({ namespace: 'shop', name: 'web-3', owner: rs, node: 'node-a', containers: [{ name: 'app' }] }));
    kube.apply(pod({ namespace: 'shop', name: 'web-4', owner: rs, node: 'node-b', containers: [{ name: 'app' }] }));
    await waitFor(() => inf.names().includes('web-3'), { what: 'web-3 added' });
    const p1 = kube.read('v1', 'Pod', 'shop', 'web-1')!;
    kube.apply({ ...p1, metadata: { ...p1.metadata, labels: { ...p1.metadata.labels, x: 'y' } } });
    await waitFor(() => inf.events.includes('update web-1'), { what: 'web-1 updated' });
    kube.delete('v1', 'Pod', 'shop', 'web-3');
    await waitFor(() => inf.events.includes('delete web-3'), { what: 'web-3 deleted' });
    assert.deepEqual(inf.names(), ['web-1']);
    assert.ok(!inf.events.some((e) => e.includes('web-4') || e.includes('web-2')), 'other nodes never seen');
    const watch = kube.requests.find((r) => r.verb === 'watch');
    assert.equal(watch?.query.fieldSelector, 'spec.nodeName=node-a');
    assert.equal(watch?.resource, 'pods');
    assert.deepEqual(inf.errors, []);
  });

  it('a watch gets BOOKMARK events with the current revision when it allows them', async () => {
    seedPods();
    const seen: { type: string; rv?: string }[] = [];
    const w = new Watch(kube.kubeConfig());
    const list = await core.listPodForAllNamespaces();
    const ctl = await w.watch('/api/v1/pods', { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true }, (type, obj: KubernetesObject) => seen.push({ type, rv: obj.metadata?.resourceVersion }), () => {});
    kube.apply(pod({ namespace: 'shop', name: 'other', node: 'node-c', containers: [{ name: 'c' }] }));
    await waitFor(() => seen.some((s) => s.type === 'BOOKMARK'), { what: 'bookmark' });
    ctl.abort();
    const b = seen.find((s) => s.type === 'BOOKMARK')!;
    assert.equal(b.rv, String(kube.store.currentRv));
    assert.equal(seen[0].type, 'ADDED');
  });

  it('410 Expired on a watch from a compacted revision: the informer relists and sees what changed meanwhile', async () => {
    seedPods();
    const inf = podInformer();
    await inf.lw.start();
    await waitFor(() => kube.openWatches('pods') === 1, { what: 'watch open' });
    const rvBefore = inf.lw.latestResourceVersion();
    // while the watch is down: one pod goes, history is compacted
    kube.closeWatches();
    kube.delete('v1', 'Pod', 'shop', 'web-2');
    kube.compact();
    await waitFor(() => inf.events.includes('delete web-2'), { what: 'delete seen through the relist' });
    const lists = kube.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
    assert.equal(lists.length, 2, 'listed again after 410');
    assert.ok(kube.requests.some((r) => r.verb === 'watch' && r.query.resourceVersion === rvBefore), 'tried to resume from its revision first');
    assert.deepEqual(inf.names(), ['web-1']);
  });

  it('410 as an HTTP status (expiredWatch: status) also makes the informer relist', async () => {
    await kube.close();
    kube = await KubeApiServer.start({ expiredWatch: 'status' });
    seedPods();
    const inf = podInformer();
    await inf.lw.start();
    await waitFor(() => kube.openWatches('pods') === 1);
    kube.closeWatches();
    kube.apply(pod({ namespace: 'shop', name: 'web-5', node: 'node-a', containers: [{ name: 'app' }] }));
    kube.compact();
    await waitFor(() => kube.requests.filter((r) => r.verb === 'list').length === 2, { what: 'relist' });
    await waitFor(() => inf.names().includes('web-5'));
    assert.ok(kube.requests.some((r) => r.verb === 'watch' && r.code === 410));
  });

  it('lists are paginated (limit/continue) over a consistent snapshot; an expired continue is 410', async () => {
    for (let i = 0; i < 5; i++) kube.apply(pod({ namespace: 'ns', name: `p${i}`, node: 'n', containers: [{ name: 'c' }] }));
    const page1 = await core.listPodForAllNamespaces({ limit: 2 });
    assert.deepEqual(page1.items.map((p) => p.metadata!.name), ['p0', 'p1']);
    assert.ok(page1.metadata!._continue);
    assert.equal(page1.metadata!.remainingItemCount, 3);
    // a change after the first page is not in the rest of this list
    kube.delete('v1', 'Pod', 'ns', 'p3');
    kube.apply(pod({ namespace: 'ns', name: 'p9', node: 'n', containers: [{ name: 'c' }] }));
    const page2 = await core.listPodForAllNamespaces({ limit: 10, _continue: page1.metadata!._continue });
    assert.deepEqual(page2.items.map((p) => p.metadata!.name), ['p2', 'p3', 'p4']);
    assert.equal(page2.metadata!.resourceVersion, page1.metadata!.resourceVersion);
    kube.compact();
    await assert.rejects(core.listPodForAllNamespaces({ limit: 2, _continue: page1.metadata!._continue }), (e) => code(e) === 410);
  });

  it('field and label selectors: unsupported fields are 400, set-based labels work', async () => {
    seedPods();
    await assert.rejects(core.listPodForAllNamespaces({ fieldSelector: 'spec.bogus=x' }), (e) => code(e) === 400);
    const l = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (web,api),pod-template-hash' });
    assert.equal(l.items.length, 2);
    const none = await core.listNamespacedPod({ namespace: 'shop', labelSelector: '!pod-template-hash' });
    assert.equal(none.items.length, 0);
    await assert.rejects(core.readNamespacedPod({ namespace: 'shop', name: 'nope' }), (e) => code(e) === 404 && message(e) === 'pods "nope" not found');
  });

  it('custom resources: schema pruning and validation, AlreadyExists, 409 on a stale resourceVersion, the status subresource, generation', async () => {
    kube.installCrd(WIDGETS);
    const g = { group: 'example.com', version: 'v1', namespace: 'shop', plural: 'widgets' };
    const created = (await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, extra: 'dropped' }, status: { state: 'ignored on create' } } })) as Widget;
    assert.equal(created.spec.extra, undefined, 'unknown field pruned');
    assert.equal(created.status, undefined, 'status is not set through the main resource');
    assert.equal(created.metadata?.generation, 1);
    await assert.rejects(custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } } }), (e) => code(e) === 409);
    await assert.rejects(custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'big' }, spec: { size: 99 } } }), (e) => code(e) === 422);

    const v1 = created.metadata!.resourceVersion!;
    const updated = (await custom.replaceNamespacedCustomObject({ ...g, name: 'w', body: { ...created, spec: { size: 2 } } })) as Widget;
    assert.equal(updated.metadata?.generation, 2);
    assert.notEqual(updated.metadata?.resourceVersion, v1);
    // a writer that read before the update loses: 409 Conflict
    await assert.rejects(custom.replaceNamespacedCustomObject({ ...g, name: 'w', body: { ...created, spec: { size: 3 } } }), (e) => code(e) === 409 && /the object has been modified/.test(message(e)));
    // status: written only through /status, does not bump generation
    const st = (await custom.replaceNamespacedCustomObjectStatus({ ...g, name: 'w', body: { ...updated, spec: { size: 7 }, status: { state: 'ok' } } })) as Widget;
    assert.equal(st.status?.state, 'ok');
    assert.equal(st.spec.size, 2, 'spec ignored on /status');
    assert.equal(st.metadata?.generation, 2);
    const again = (await custom.replaceNamespacedCustomObject({ ...g, name: 'w', body: { ...st, status: { state: 'clobber' } } })) as Widget;
    assert.equal(again.status?.state, 'ok', 'status ignored on the main resource');
    assert.equal(again.metadata?.resourceVersion, st.metadata?.resourceVersion, 'a write that changes nothing is no new revision');
    // merge patch with a resourceVersion precondition
    const patchOpts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await assert.rejects(custom.patchNamespacedCustomObject({ ...g, name: 'w', body: { metadata: { resourceVersion: v1 }, spec: { size: 4 } } }, patchOpts), (e) => code(e) === 409);
    const patched = (await custom.patchNamespacedCustomObject({ ...g, name: 'w', body: { spec: { tags: ['a'] } } }, patchOpts)) as Widget;
    assert.deepEqual(patched.spec, { size: 2, tags: ['a'] });
    const jp = (await custom.patchNamespacedCustomObject({ ...g, name: 'w', body: [{ op: 'add', path: '/spec/tags/-', value: 'b' }] })) as Widget;
    assert.deepEqual(jp.spec.tags, ['a', 'b']);
    await assert.rejects(
      custom.patchNamespacedCustomObject({ ...g, name: 'w', body: { spec: { size: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
      (e) => code(e) === 415,
    );
  });

  it('an object larger than etcd accepts is refused', async () => {
    kube.installCrd(WIDGETS);
    const g = { group: 'example.com', version: 'v1', namespace: 'shop', plural: 'widgets' };
    const tags = Array.from({ length: 60_000 }, (_, i) => `tag-number-${i}-with-some-padding`);
    await assert.rejects(custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'huge' }, spec: { size: 1, tags } } }), (e) => code(e) === 500 && message(e) === 'etcdserver: request is too large');
  });

  it('goes down (connection refused, then 503) and comes back; watches end and the informer resumes', async () => {
    seedPods();
    const inf = podInformer();
    await inf.lw.start();
    await waitFor(() => kube.openWatches('pods') === 1);
    await kube.down('refuse');
    await waitFor(() => inf.errors.length > 0, { what: 'informer error on refused connection' });
    await assert.rejects(core.listPodForAllNamespaces(), /ECONNREFUSED/);
    await kube.up();
    await kube.down('unavailable');
    await assert.rejects(core.listPodForAllNamespaces(), (e) => code(e) === 503);
    await kube.up();
    kube.apply(pod({ namespace: 'shop', name: 'after', node: 'node-a', containers: [{ name: 'c' }] }));
    await inf.lw.start(); // what a resilient owner of the informer does after an error
    await waitFor(() => inf.names().includes('after'), { what: 'resumed' });
  });

  it('logs every request with its authorisation attributes; enforces grants and answers reviews', async () => {
    await kube.close();
    kube = await KubeApiServer.start({ authenticate: true, authorize: true });
    kube.reviews.addToken('agent-token', { username: 'system:serviceaccount:habitwatch:habitwatch', groups: ['system:serviceaccounts'] });
    kube.reviews.grant('system:serviceaccount:habitwatch:habitwatch', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    const kc = kube.kubeConfig('agent-token');
    const api = kc.makeApiClient(CoreV1Api);
    await api.listPodForAllNamespaces();
    await assert.rejects(api.readNamespacedPod({ namespace: 'x', name: 'y' }), (e) => code(e) === 403 && /cannot get resource "pods"/.test(message(e)));
    await assert.rejects(kube.kubeConfig('wrong').makeApiClient(CoreV1Api).listPodForAllNamespaces(), (e) => code(e) === 401);
    const [list, get] = kube.requests;
    assert.deepEqual([list.verb, list.resource, list.user, list.code], ['list', 'pods', 'system:serviceaccount:habitwatch:habitwatch', 200]);
    assert.deepEqual([get.verb, get.namespace, get.name, get.code], ['get', 'x', 'y', 403]);

    // TokenReview and SubjectAccessReview, answered from the same tables (or a function)
    kube.reviews.grant('system:serviceaccount:habitwatch:habitwatch', [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    kube.reviews.addToken('alice-token', { username: 'alice', groups: ['sre'] });
    kube.reviews.grant('group:sre', [{ apiGroups: ['habitwatch.io'], resources: ['workloadbaselines'], verbs: ['get', 'list'] }]);
    const authn = kc.makeApiClient(AuthenticationV1Api);
    const tr = await authn.createTokenReview({ body: { spec: { token: 'alice-token' } } });
    assert.equal(tr.status?.authenticated, true);
    assert.equal(tr.status?.user?.username, 'alice');
    assert.equal((await authn.createTokenReview({ body: { spec: { token: 'nope' } } })).status?.authenticated, false);
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const ask = (verb: string) =>
      authz.createSubjectAccessReview({ body: { spec: { user: 'alice', groups: ['sre'], resourceAttributes: { verb, group: 'habitwatch.io', resource: 'workloadbaselines', namespace: 'shop' } } } });
    assert.equal((await ask('get')).status?.allowed, true);
    assert.equal((await ask('update')).status?.allowed, false);
    kube.reviews.subjectAccessReview = () => ({ allowed: false, denied: true, reason: 'programmed' });
    assert.equal((await ask('get')).status?.reason, 'programmed');
    assert.equal(kube.reviews.asked.filter((a) => a.kind === 'SubjectAccessReview').length, 3);
  });

  it('in-cluster configuration: a service account directory and the kubelet environment, TLS verified', async () => {
    await kube.close();
    kube = await KubeApiServer.start({ authenticate: true });
    kube.reviews.addToken('sa-token', { username: 'system:serviceaccount:habitwatch:habitwatch' });
    const prefix = mkdtempSync(join(tmpdir(), 'hw-sa-'));
    const saved = { ...process.env };
    try {
      Object.assign(process.env, kube.writeServiceAccount(prefix, 'sa-token'));
      const kc = new KubeConfig();
      kc.loadFromCluster(prefix);
      await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces();
      assert.equal(kube.requests.at(-1)?.user, 'system:serviceaccount:habitwatch:habitwatch');
    } finally {
      process.env = saved;
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it('serves discovery and tables: the real kubectl lists pods and custom resources with printer columns', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'hw-kube-'));
    try {
      kube.installCrd(WIDGETS);
      seedPods();
      kube.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'shop' }, spec: { size: 3 }, status: { state: 'ready' } });
      const cfg = join(dir, 'kubeconfig');
      writeFileSync(cfg, kube.kubeconfigYaml());
      const run = promisify(execFile);
      requireComponent(this, kubectlInstalled(), 'kubectl');
      const out = (await run('kubectl', ['--kubeconfig', cfg, 'get', 'pods', '-A'], { env: { ...process.env, HOME: dir } })).stdout;
      assert.match(out, /shop\s+web-1/);
      const w = (await run('kubectl', ['--kubeconfig', cfg, 'get', 'widgets', '-A'], { env: { ...process.env, HOME: dir } })).stdout;
      assert.match(w, /NAMESPACE\s+NAME\s+SIZE\s+STATE\s+AGE/);
      assert.match(w, /shop\s+w1\s+3\s+ready/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
