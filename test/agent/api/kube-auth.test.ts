// Authorisation in a cluster: the API checks bearer tokens with TokenReview and every
// action with SubjectAccessReview against the (emulated) Kubernetes API server — the
// same wire format as kube-apiserver, answered from RBAC-like grants — over real HTTP.
import assert from 'node:assert/strict';
import { ApiServer } from '../../../agent/api/server.ts';
import { registerRoutes } from '../../../agent/api/routes/index.ts';
import { KubeAuth, clientReviews, DEFAULT_KUBE_AUTH } from '../../../agent/api/auth/kube.ts';
import { staticTokenAuth } from '../../../agent/api/auth/tokens.ts';
import { Responder } from '../../../agent/respond/responder.ts';
import { createMetrics } from '../../../agent/metrics.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { DEFAULT_LEARNING } from '../../../models/baseline/baseline.ts';
import { silentLogger } from '../../../collector/log.ts';
import { KubeApiServer } from '../../support/kube/server.ts';
import { envelope } from '../../support/events.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';

const G = 'habitwatch.io';
const WB = 'workloadbaselines';

describe('API authorisation through TokenReview and SubjectAccessReview', function () {
  this.timeout(30_000);
  let kube: KubeApiServer;
  let api: ApiServer;
  let base: string;
  let clock = Date.now();

  before(async () => {
    kube = await KubeApiServer.start({ authenticate: true, authorize: true });
    const agentUser = 'system:serviceaccount:habitwatch:habitwatch';
    kube.reviews.addToken('agent-sa-token', { username: agentUser });
    // what the agent's ClusterRole needs for this (system:auth-delegator in a real cluster)
    kube.reviews.grant(agentUser, [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    kube.reviews.addToken('alice-token', { username: 'alice', groups: ['sre'] });
    kube.reviews.addToken('bob-token', { username: 'bob', groups: ['oncall'] });
    kube.reviews.addToken('carol-token', { username: 'carol', groups: ['platform'] });
    kube.reviews.grant('group:sre', [{ apiGroups: [G], resources: [WB], verbs: ['get', 'list'] }]);
    kube.reviews.grant('group:oncall', [{ apiGroups: [G], resources: [WB], verbs: ['get', 'list'] }]);
    kube.reviews.grant('group:platform', [{ apiGroups: [G], resources: [WB], verbs: ['get', 'list', 'update', 'patch'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }]);

    const profiler = new Profiler({ ...DEFAULT_LEARNING, minLearningMs: 0, quietPeriodMs: 0 });
    for (const w of ['shop/Deployment/web', 'bank/Deployment/ledger']) {
      const ev = { ...envelope({ workload: w, exe: '/usr/bin/app' }), kind: 'exec' } as RuntimeEvent;
      profiler.observe(ev, clock);
    }
    const responder = new Responder({ profiler, learning: profiler.cfg, now: () => clock });
    const reviews = await clientReviews(kube.kubeConfig('agent-sa-token'));
    const auth = new KubeAuth(reviews, DEFAULT_KUBE_AUTH, staticTokenAuth([{ name: 'prometheus', role: 'read', token: 'static-read-token' }]), () => clock);
    api = new ApiServer({ host: '127.0.0.1', port: 0, auth, log: silentLogger });
    registerRoutes(api, { responder, registry: createMetrics({ defaultMetrics: false }).registry, openMetrics: false });
    base = `http://127.0.0.1:${(await api.listen()).port}`;
  });
  after(async () => {
    await api?.close();
    await kube?.close();
  });

  const as = (token: string | undefined, path: string, body?: unknown, header = 'authorization') =>
    fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { [header]: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const sars = () => kube.reviews.asked.filter((a) => a.kind === 'SubjectAccessReview').map((a) => (a as { spec: { user?: string; resourceAttributes?: Record<string, string> } }).spec);

  it('401 without a token or with one the API server does not know', async () => {
    assert.equal((await as(undefined, '/v1/workloads')).status, 401);
    const r = await as('who-knows', '/v1/workloads');
    assert.equal(r.status, 401);
    assert.deepEqual(await r.json(), { error: 'invalid bearer token', status: 401 });
  });

  it('reads need get/list on workloadbaselines in the workload namespace', async () => {
    assert.equal((await as('alice-token', '/v1/workloads/shop/Deployment/web/baseline')).status, 200);
    const last = sars().at(-1)!;
    assert.deepEqual(last.resourceAttributes, { namespace: 'shop', verb: 'get', group: G, resource: WB, name: 'deployment.web' });
    assert.equal(last.user, 'alice');
    assert.equal((await as('alice-token', '/v1/workloads')).status, 200);
    assert.deepEqual(sars().at(-1)!.resourceAttributes, { verb: 'list', group: G, resource: WB });
  });

  it('403 for a verb RBAC does not grant: approving needs create on workloadbaselines/approvals', async () => {
    const approve = { kind: 'exec', items: ['/usr/bin/curl'] };
    const r = await as('bob-token', '/v1/workloads/shop/Deployment/web/approve', approve);
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { error: string }).error, /bob may not approve workload baseline deployment.web in namespace shop/);
    assert.deepEqual(sars().at(-1)!.resourceAttributes, { namespace: 'shop', verb: 'create', group: G, resource: WB, subresource: 'approvals', name: 'deployment.web' });
    // an on-call rotation that may approve in one namespace only
    kube.reviews.grant('group:oncall', [{ apiGroups: [G], resources: [`${WB}/approvals`], verbs: ['create'] }]);
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1; // the cached "no" expires
    assert.equal((await as('bob-token', '/v1/workloads/shop/Deployment/web/approve', approve)).status, 200);
    assert.equal((await as('bob-token', '/v1/workloads/shop/Deployment/web/relearn', {})).status, 403, 'relearn needs update');
    assert.equal((await as('carol-token', '/v1/workloads/shop/Deployment/web/relearn', {})).status, 200);
    assert.equal((await as('carol-token', '/v1/workloads/shop/Deployment/web/lock', {})).status, 200);
    assert.deepEqual(sars().at(-1)!.resourceAttributes, { namespace: 'shop', verb: 'patch', group: G, resource: WB, name: 'deployment.web' });
  });

  it('namespaced grants stay in their namespace', async () => {
    kube.reviews.grants.set('group:oncall', [
      { apiGroups: [G], resources: [WB], verbs: ['get', 'list'] },
    ]);
    // RBAC rules here have no namespace: emulate a RoleBinding in shop only with a programmed answer
    kube.reviews.subjectAccessReview = (spec) => ({ allowed: spec.user === 'bob' && spec.resourceAttributes?.namespace === 'shop' });
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1;
    try {
      assert.equal((await as('bob-token', '/v1/workloads/shop/Deployment/web/baseline')).status, 200);
      assert.equal((await as('bob-token', '/v1/workloads/bank/Deployment/ledger/baseline')).status, 403);
      // a diff against a workload in another namespace reads that one too
      assert.equal((await as('bob-token', '/v1/workloads/shop/Deployment/web/diff?against=bank/Deployment/ledger')).status, 403);
    } finally {
      kube.reviews.subjectAccessReview = undefined;
    }
  });

  it('importing (a WorkloadBaseline object here) needs update on workloadbaselines: cluster-wide, or in the namespace of the ?workload= it is imported as', async () => {
    const obj = {
      apiVersion: `${G}/v1alpha1`,
      kind: 'WorkloadBaseline',
      metadata: { name: 'deployment.web', namespace: 'shop' },
      spec: { workload: { kind: 'Deployment', name: 'web' }, containers: [{ name: 'app', version: 1, items: { exec: [{ key: '/usr/bin/app' }] } }] },
    };
    assert.equal((await as('carol-token', '/v1/baselines/import?mode=merge', obj)).status, 200, 'update cluster-wide (a ClusterRole)');
    assert.deepEqual(sars().at(-1)!.resourceAttributes, { verb: 'update', group: G, resource: WB });
    // update in shop only (a RoleBinding there)
    kube.reviews.subjectAccessReview = (spec) => ({ allowed: spec.user === 'bob' && spec.resourceAttributes?.namespace === 'shop' });
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1;
    try {
      const r = await as('bob-token', '/v1/baselines/import?mode=merge', obj);
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { error: string }).error, /bob may not update workload baselines cluster-wide/);
      assert.equal((await as('bob-token', '/v1/baselines/import?mode=merge&workload=shop/Deployment/web', obj)).status, 200);
      assert.deepEqual(sars().at(-1)!.resourceAttributes, { namespace: 'shop', verb: 'update', group: G, resource: WB, name: 'deployment.web' });
      assert.equal((await as('bob-token', '/v1/baselines/import?mode=merge&workload=bank/Deployment/web', obj)).status, 403);
    } finally {
      kube.reviews.subjectAccessReview = undefined;
    }
  });

  it('RBAC resourceNames single out one workload: the WorkloadBaseline object <kind>.<name>', async () => {
    kube.reviews.addToken('dave-token', { username: 'dave' });
    kube.reviews.grant('dave', [{ apiGroups: [G], resources: [WB], resourceNames: ['deployment.web'], verbs: ['get'] }]);
    assert.equal((await as('dave-token', '/v1/workloads/shop/Deployment/web/baseline')).status, 200);
    assert.equal((await as('dave-token', '/v1/workloads/shop/Deployment/other/baseline')).status, 403);
  });

  it('answers are cached briefly: a burst asks the API server once per token and per decision', async () => {
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1;
    const before = kube.reviews.asked.length;
    const rs = await Promise.all(Array.from({ length: 20 }, () => as('alice-token', '/v1/workloads/shop/Deployment/web/baseline')));
    assert.ok(rs.every((r) => r.status === 200));
    const asked = kube.reviews.asked.slice(before);
    assert.equal(asked.filter((a) => a.kind === 'TokenReview').length, 1);
    assert.equal(asked.filter((a) => a.kind === 'SubjectAccessReview').length, 1);
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1;
    assert.equal((await as('alice-token', '/v1/workloads/shop/Deployment/web/baseline')).status, 200);
    assert.equal(kube.reviews.asked.length - before, 4, 'asked again once the answers expired');
  });

  it('closed /metrics is a non-resource URL: get /metrics', async () => {
    assert.equal((await as('alice-token', '/metrics')).status, 403);
    assert.equal((await as('carol-token', '/metrics')).status, 200);
  });

  it('static tokens keep their role next to Kubernetes users', async () => {
    assert.equal((await as('static-read-token', '/v1/workloads')).status, 200);
    assert.equal((await as('static-read-token', '/v1/workloads/shop/Deployment/web/lock', {})).status, 403);
  });

  it('through the API server pod proxy (which strips Authorization) the token comes in X-Habitwatch-Authorization', async () => {
    assert.equal((await as('alice-token', '/v1/workloads', undefined, 'x-habitwatch-authorization')).status, 200);
  });

  it('503 with Retry-After while the Kubernetes API cannot be asked (not a 500, not a silent allow)', async () => {
    clock += DEFAULT_KUBE_AUTH.cacheTtlMs + 1;
    await kube.down('refuse');
    try {
      const r = await as('alice-token', '/v1/workloads');
      assert.equal(r.status, 503);
      assert.ok(r.headers.get('retry-after'));
      assert.match(((await r.json()) as { error: string }).error, /TokenReview/);
    } finally {
      await kube.up();
    }
    assert.equal((await as('alice-token', '/v1/workloads')).status, 200);
  });
});
