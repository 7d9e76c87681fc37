// The agent's RBAC is exactly what it does: an agent process runs against an emulated API
// server (no kube-apiserver can be installed here) that authenticates it as the
// habitwatch service account and authorises every request with the rules of
// manifests/base/rbac.yaml — nothing else. Every Kubernetes feature of the agent is exercised
// (pod informer, owner lookups of a ReplicaSet and a Job, Services and EndpointSlices,
// WorkloadBaseline create, update, status, a 409 recovered by a read, API authorisation
// through TokenReview and SubjectAccessReview). Then the server's request log must show no
// call the role does not allow, and every rule of the role used.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startAgentProc, tempDir, type AgentProc } from '../support/agent-proc.ts';
import { REPO, waitFor } from '../support/env.ts';
import { KubeApiServer, type RequestRecord } from '../support/kube/server.ts';
import { cronJob, deployment, endpointSlice, job, pod, randomContainerId, replicaSet, service } from '../support/kube/objects.ts';
import { ruleAllows, type PolicyRule } from '../support/kube/reviews.ts';

const SA = 'system:serviceaccount:habitwatch:habitwatch';
const TOKEN = 'habitwatch-sa-token-0123456789';
/** what Kubernetes' built-in system:auth-delegator ClusterRole grants */
const AUTH_DELEGATOR: PolicyRule[] = [
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

interface Manifest {
  kind: string;
  metadata: { name: string };
  rules?: PolicyRule[];
  roleRef?: { name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

function shippedRbac(): { role: PolicyRule[]; bindings: Manifest[] } {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'manifests/base/rbac.yaml'), 'utf8')).map((d) => d.toJSON() as Manifest);
  const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'habitwatch-agent')!;
  return { role: role.rules!, bindings: docs.filter((d) => d.kind === 'ClusterRoleBinding') };
}

describe('e2e: the agent’s Kubernetes calls are exactly what manifests/base/rbac.yaml allows', function () {
  this.timeout(120000);
  let kube: KubeApiServer;
  let agent: AgentProc;
  let tmp: ReturnType<typeof tempDir>;

  after(async () => {
    await agent?.kill();
    await kube?.close();
    tmp?.cleanup();
  });

  it('every call allowed, every rule used', async () => {
    const { role, bindings } = shippedRbac();
    const bound = (name: string) => bindings.some((b) => b.roleRef?.name === name && b.subjects?.some((s) => `system:serviceaccount:${s.namespace}:${s.name}` === SA));
    assert.ok(bound('habitwatch-agent'), 'the role is bound to the habitwatch service account');
    assert.ok(bound('system:auth-delegator'), 'TokenReview/SubjectAccessReview through system:auth-delegator');
    const granted = [...role, ...AUTH_DELEGATOR];

    kube = await KubeApiServer.start({ authenticate: true, authorize: true, bookmarkIntervalMs: 500 });
    kube.installCrd(join(REPO, 'manifests/base/crds/workloadbaselines.habitwatch.io.yaml'));
    kube.reviews.addToken(TOKEN, { username: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:habitwatch', 'system:authenticated'] });
    kube.reviews.grant(SA, granted);
    // a responder, authorised by RBAC on workloadbaselines (docs/api.md)
    kube.reviews.addToken('alice-token-0123456789', { username: 'alice', groups: ['sre'] });
    kube.reviews.grant('group:sre', [{ apiGroups: ['habitwatch.io'], resources: ['workloadbaselines'], verbs: ['get', 'list'] }]);

    const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web')), '7d4b9c8f6d'));
    const cj = kube.apply(cronJob('batch', 'report'));
    const j = kube.apply(job('batch', '', cj));
    const pg = kube.apply(service('db', 'postgres', 'None', [5432]));
    kube.apply(endpointSlice(pg, [{ ip: '10.244.5.3' }], 5432));
    kube.apply(service('shop', 'api', '10.96.0.20', [8080]));
    const pods = [
      { uid: randomUUID(), cid: randomContainerId(), owner: rs, ns: 'shop', c: 'app' },
      { uid: randomUUID(), cid: randomContainerId(), owner: j, ns: 'batch', c: 'job' },
    ];
    for (const p of pods) kube.apply(pod({ namespace: p.ns, uid: p.uid, owner: p.owner, node: 'node-a', containers: [{ name: p.c, id: p.cid, digest: `sha256:${'c'.repeat(64)}` }] }));

    // the agent's first update of a WorkloadBaseline meets a concurrent writer: 409, then it reads and retries
    let bumped = false;
    kube.beforeServe = (r) => {
      if (bumped || r.user !== SA || r.resource !== 'workloadbaselines' || r.verb !== 'update' || r.subresource !== undefined) return;
      bumped = true;
      const o = kube.read('habitwatch.io/v1alpha1', 'WorkloadBaseline', r.namespace, r.name!)!;
      kube.apply({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, touched: 'by-another-writer' } } });
    };

    tmp = tempDir('hw-rbac-');
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml(TOKEN));
    const events = join(tmp.dir, 'events.jsonl');
    writeFileSync(events, '');
    const exec = (p: (typeof pods)[number], exe: string): void => {
      const path = `/kubepods.slice/kubepods-pod${p.uid.replaceAll('-', '_')}.slice/cri-containerd-${p.cid}.scope`;
      appendFileSync(events, JSON.stringify({ time: Date.now(), kind: 'exec', process: { pid: 7, exe, args: [exe] }, cgroup: { path } }) + '\n');
    };
    agent = await startAgentProc(tmp.dir, {
      node: 'node-a',
      api: { listen: '127.0.0.1:0', tokens: [{ name: 'tester', token: 'test-token-0123456789', role: 'admin' }], kubernetesAuth: { kubeconfig } },
      sources: { enabled: ['events'], events: { paths: [events], follow: true } },
      kubernetes: { kubeconfig, retry: { initial: '100ms', max: '500ms' }, baselines: { writeInterval: '200ms' } },
      learning: { minLearning: '0s', quietPeriod: '1h' },
    });
    exec(pods[0], '/usr/bin/app');
    exec(pods[1], '/usr/bin/report');
    const wb = (ns: string, name: string) => kube.read('habitwatch.io/v1alpha1', 'WorkloadBaseline', ns, name);
    await waitFor(() => wb('shop', 'deployment.web')?.status && wb('batch', 'cronjob.report')?.status, { timeoutMs: 30000, what: 'both objects written' });
    // a second item: an update of the object (which meets the 409)
    exec(pods[0], '/usr/bin/worker');
    await waitFor(() => JSON.stringify(wb('shop', 'deployment.web')?.spec).includes('/usr/bin/worker'), { timeoutMs: 30000, what: 'the update' });
    // a responder reads through the agent's API: TokenReview, then SubjectAccessReview
    const r = await fetch(`http://127.0.0.1:${agent.port}/v1/workloads`, { headers: { authorization: 'Bearer alice-token-0123456789' } });
    assert.equal(r.status, 200, await r.text());

    const mine = kube.requests.filter((x) => x.user === SA && !x.nonResource);
    const denied = mine.filter((x) => x.code === 403 || !ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, attrs(x)) || !granted.some((g) => ruleAllows(g, attrs(x))));
    assert.deepEqual(denied.map(show), [], 'calls outside the role');
    assert.ok(mine.some((x) => x.code === 409) && bumped, 'the 409 path was exercised');
    const used = (rule: PolicyRule, verb: string) => mine.some((x) => x.verb === verb && ruleAllows({ ...rule, verbs: [verb] }, attrs(x)));
    const unused: string[] = [];
    for (const rule of granted) for (const verb of rule.verbs) if (!used(rule, verb)) unused.push(`${verb} ${rule.apiGroups?.join()}/${rule.resources?.join()}`);
    assert.deepEqual(unused, [], 'rules the agent never used: the role grants more than it needs');
    assert.ok(!kube.requests.some((x) => x.user === SA && x.code === 401));
  });
});

function attrs(x: RequestRecord): { verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string } {
  return { verb: x.verb, group: x.group ?? '', resource: x.resource ?? '', ...(x.subresource ? { subresource: x.subresource } : {}), ...(x.namespace ? { namespace: x.namespace } : {}), ...(x.name ? { name: x.name } : {}) };
}

function show(x: RequestRecord): string {
  return `${x.verb} ${x.group}/${x.resource}${x.subresource ? '/' + x.subresource : ''} ${x.namespace ?? ''}/${x.name ?? ''} → ${x.code}`;
}
