// POST /v1/baselines/import (and `habitwatch baseline import`) takes the WorkloadBaseline
// object as well as the BaselineExport document, through the real server on loopback
// ports: one agent learns a workload and a person forbids and locks; its export, as the
// document and as the object (JSON over HTTP, YAML through the CLI), imported into fresh
// agents gives the same baseline — items, forbidden patterns, lock — and the same
// replace/merge results and audit records, step for step. A malformed object is a
// one-line JSON 400, counted, that changes nothing; without the update action, 403.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import type { AgentHandle } from '../../../agent/agent.ts';
import type { WorkloadBaselineObject } from '../../../agent/kube/crd.ts';
import type { AuditEntry } from '../../../agent/store/audit.ts';
import { BASELINE_KINDS } from '../../../models/baseline/items.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { startApiAgent } from '../../support/api-agent.ts';
import { CLI, waitFor } from '../../support/env.ts';

const W = 'shop/Deployment/web';
const YAML_COPY = 'shop/Deployment/web-yaml';
const ADMIN = 'import-admin-token-0123456789';
const READER = 'import-reader-token-0123456789';
const RESPONDER = 'import-respond-token-0123456789';
const TOKENS = [
  { name: 'gitops', token: ADMIN, role: 'admin' as const },
  { name: 'grafana', token: READER, role: 'read' as const },
  { name: 'soc', token: RESPONDER, role: 'respond' as const },
];
const run = promisify(execFile);

interface ImportResult {
  workload: string;
  baselines: { key: string; version: number; state: string; items: number; created: boolean }[];
}

describe('import of a baseline given as the WorkloadBaseline object', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let source: AgentHandle;
  /** takes the documents */
  let docs: AgentHandle;
  /** takes the objects */
  let objs: AgentHandle;
  let doc: unknown;
  let obj: WorkloadBaselineObject;

  const url = (a: AgentHandle, path: string): string => `http://127.0.0.1:${a.apiPort}${path}`;
  const post = async (a: AgentHandle, path: string, body: string, o: { type?: string; token?: string } = {}) => {
    const r = await fetch(url(a, path), { method: 'POST', headers: { authorization: `Bearer ${o.token ?? ADMIN}`, 'content-type': o.type ?? 'application/json' }, body });
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
  };
  const ok = async <T>(a: AgentHandle, path: string, body?: unknown): Promise<T> => {
    const r = body === undefined ? await fetch(url(a, path), { headers: { authorization: `Bearer ${ADMIN}` } }).then(async (x) => ({ status: x.status, text: await x.text() })) : await post(a, path, JSON.stringify(body));
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return JSON.parse(r.text) as T;
  };
  /** what a baseline is: items by kind, forbidden patterns, lock, state, version */
  const view = (a: AgentHandle, id = W) => {
    const b = a.profiler.baselines.get(`${id}#app`);
    assert.ok(b, `${id}#app in the agent`);
    const items: Record<string, string[]> = {};
    for (const kind of BASELINE_KINDS) {
      const keys = [...b.items.get(kind)!.keys()].sort();
      if (keys.length) items[kind] = keys;
    }
    return { items, forbidden: b.meta.forbidden ?? {}, lockedBy: b.meta.lockedBy, state: b.meta.state, version: b.meta.version };
  };
  const refused400 = async (a: AgentHandle): Promise<number> => {
    const text = await (await fetch(url(a, '/metrics'), { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    return Number(/^habitwatch_api_refused_total\{status="400"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  before(async () => {
    tmp = tempDir('hw-import-wb-');
    const input = join(tmp.dir, 'events.jsonl');
    const ev = (kind: string, extra: object = {}) =>
      JSON.stringify({ time: Date.now(), kind, workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: 9, exe: '/usr/bin/web', args: ['web'] }, ...extra }) + '\n';
    writeFileSync(
      input,
      ev('exec') +
        ev('listen', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) +
        ev('connect', { proto: 'tcp', dstAddr: '10.0.0.7', dstPort: 5432 }) +
        ev('file_write', { path: '/var/cache/web/1234/x', op: 'create' }) +
        ev('syscall', { names: ['read', 'write', 'openat'] }),
    );
    [source, docs, objs] = await Promise.all([startApiAgent(join(tmp.dir, 'source'), input, TOKENS), startApiAgent(join(tmp.dir, 'docs'), undefined, TOKENS), startApiAgent(join(tmp.dir, 'objs'), undefined, TOKENS)]);
    await waitFor(() => source.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'the source baseline stable' });
    await ok(source, `/v1/workloads/${W}/forbid`, { kind: 'exec', items: ['/usr/bin/nc', '/tmp/**'] });
    await ok(source, `/v1/workloads/${W}/lock`, {});
    doc = await ok(source, `/v1/workloads/${W}/export`);
    obj = await ok<WorkloadBaselineObject>(source, `/v1/workloads/${W}/export?format=workloadbaseline`);
  });
  after(async () => {
    await Promise.all([source?.stop(), docs?.stop(), objs?.stop()]);
    tmp?.cleanup();
  });

  it('the object (JSON) gives the baseline the document gives, replace and merge alike, step for step, with the same audit records', async () => {
    const steps: [string, string][] = [];
    const both = async (query: string): Promise<void> => {
      const d = await ok<ImportResult>(docs, `/v1/baselines/import${query}`, doc);
      const o = await ok<ImportResult>(objs, `/v1/baselines/import${query}`, obj);
      assert.deepEqual(o, d, `import${query}: the same result`);
      assert.deepEqual(view(objs), view(docs), `import${query}: the same baseline`);
      steps.push([query, JSON.stringify(view(objs))]);
    };
    await both('');
    const v = view(objs);
    const learned = view(source);
    assert.deepEqual(v.items, learned.items, 'the items learned at the source');
    assert.deepEqual(v.forbidden, { exec: ['/tmp/**', '/usr/bin/nc'] });
    assert.equal(v.state, 'locked');
    assert.equal(v.lockedBy, learned.lockedBy);
    assert.ok((v.items.file_write ?? []).some((k) => k.includes('*')), `generalised items stay generalised: ${JSON.stringify(v.items.file_write)}`);
    // a person adds an item on each; merge keeps it, replace drops it (archiving a version)
    for (const a of [docs, objs]) await ok(a, `/v1/workloads/${W}/approve`, { kind: 'exec', items: ['/usr/bin/extra'] });
    await both('?mode=merge');
    assert.ok(view(objs).items.exec.includes('/usr/bin/extra'), 'merge keeps what was added');
    await both('?mode=replace');
    assert.ok(!view(objs).items.exec.includes('/usr/bin/extra'), 'replace takes the import as it is');
    assert.equal(view(objs).version, v.version + 1, 'replace archives the baseline it replaces as a version');
    const audit = async (a: AgentHandle) =>
      (await ok<{ entries: AuditEntry[] }>(a, '/v1/audit?limit=100')).entries
        .reverse()
        .map((e) => ({ actor: e.actor, via: e.via, action: e.action, workload: e.workload, baseline: e.baseline, detail: e.detail }));
    const trail = await audit(objs);
    assert.deepEqual(trail, await audit(docs), 'the same audit records');
    assert.deepEqual(
      trail.map((e) => `${e.actor} ${e.action} ${e.workload}`),
      [`gitops import-replace ${W}`, `gitops approve ${W}`, `gitops import-merge ${W}`, `gitops import-replace ${W}`],
    );
    assert.deepEqual(trail[0].detail, { version: 1, items: Object.values(v.items).flat().length, from: W });
  });

  it('habitwatch baseline import takes the object as YAML (exported by the CLI), under another id with --workload', async () => {
    const env = { ...process.env, HABITWATCH_API: url(source, ''), HABITWATCH_TOKEN: ADMIN, HOME: tmp.dir };
    const { stdout: yaml } = await run(process.execPath, [CLI, 'baseline', 'export', W, '--format', 'workloadbaseline', '-o', 'yaml'], { env });
    assert.match(yaml, /^apiVersion: habitwatch\.io\/v1alpha1\nkind: WorkloadBaseline\n/);
    const file = join(tmp.dir, 'web-wb.yaml');
    writeFileSync(file, yaml);
    const { stdout } = await run(process.execPath, [CLI, 'baseline', 'import', file, '--workload', YAML_COPY], { env: { ...env, HABITWATCH_API: url(objs, '') } });
    assert.match(stdout, new RegExp(`^created ${YAML_COPY}#app: locked v\\d+, \\d+ item\\(s\\)$`, 'm'));
    const copy = view(objs, YAML_COPY);
    const original = view(source);
    assert.deepEqual({ ...copy, version: 0 }, { ...original, version: 0 }, 'the same baseline under the other id');
    // and straight over HTTP as YAML, under its own id, into the agent that took the document
    const r = await post(docs, '/v1/baselines/import?mode=merge', yaml, { type: 'application/yaml' });
    assert.equal(r.status, 200, r.text);
  });

  it('an object as `kubectl get` prints it (server metadata, a status) is read as the sync reads it: its state from the status', async () => {
    const spec = structuredClone(obj.spec);
    delete spec.containers[0].lockedBy;
    const version = spec.containers[0].version;
    const got = {
      ...obj,
      metadata: { ...obj.metadata, uid: '6f1c2d3e-0000-4000-8000-000000000001', resourceVersion: '4711', generation: 3, creationTimestamp: '2026-12-01T10:00:00Z', managedFields: [{ manager: 'habitwatch', operation: 'Update' }] },
      spec: { ...spec, workload: { kind: 'Deployment', name: 'api' } },
      status: { state: 'stable', nodes: ['node-a'], containers: [{ name: 'app', state: 'stable', version, items: 9, stableSince: '2026-12-01T10:05:00Z' }] },
    };
    got.metadata.name = 'deployment.api';
    const r = await ok<ImportResult>(objs, '/v1/baselines/import', got);
    assert.deepEqual(r.baselines.map((b) => [b.key, b.state, b.created]), [['shop/Deployment/api#app', 'stable', true]]);
    assert.deepEqual(view(objs, 'shop/Deployment/api').items, view(source).items);
    // a status of another version says nothing of this one, and no status says nothing: learning
    const older = { ...got, status: { containers: [{ name: 'app', state: 'stable', version: version + 1 }] } };
    const none = { ...got, status: undefined };
    for (const [id, body] of [['shop/Deployment/api-older', older], ['shop/Deployment/api-none', none]] as const) {
      const x = await ok<ImportResult>(objs, `/v1/baselines/import?workload=${id}`, body);
      assert.deepEqual(x.baselines.map((b) => [b.key, b.state]), [[`${id}#app`, 'learning']]);
    }
  });

  it('a malformed object: 400 with a one-line JSON error naming the problem, counted, nothing changed', async () => {
    const before = JSON.stringify(view(objs));
    const count = await refused400(objs);
    const c0 = (f: (c: Record<string, unknown>) => void) => {
      const o = structuredClone(obj) as unknown as { spec: { containers: Record<string, unknown>[] } };
      f(o.spec.containers[0]);
      return o;
    };
    const cases: [string, unknown, RegExp, string?][] = [
      ['wrong apiVersion', { ...obj, apiVersion: 'habitwatch.io/v1' }, /^body\.apiVersion: must be equal to constant "habitwatch\.io\/v1alpha1"$/],
      ['wrong kind for the group', { ...obj, kind: 'BaselineExport' }, /^body\.kind: must be equal to constant "WorkloadBaseline"$/],
      ['no spec', { ...obj, spec: undefined }, /^body: must have required property 'spec'$/],
      ['no containers', { ...obj, spec: { workload: obj.spec.workload, containers: [] } }, /^body\.spec\.containers: must NOT have fewer than 1 items$/],
      ['an item without a key', c0((c) => ((c.items as Record<string, unknown[]>).exec = [{ firstSeen: '2026-12-01T10:00:00Z' }])), /^body\.spec\.containers\.0\.items\.exec\.0: must have required property 'key'$/],
      ['an unknown kind', c0((c) => ((c.items as Record<string, unknown[]>).bogus = [{ key: '/x' }])), /^body\.spec\.containers\.0\.items: key "bogus": must be equal to one of the allowed values \(exec, file_write, file_open, listen, connect, syscall\)$/],
      ['an unknown field', c0((c) => (c.itemz = {})), /^body\.spec\.containers\.0: must NOT have additional properties "itemz"$/],
      ['a bad date', c0((c) => ((c.items as Record<string, unknown[]>).exec = [{ key: '/usr/bin/web', firstSeen: 'Tuesday' }])), /^body\.spec\.containers\.0\.items\.exec\.0\.firstSeen: must match pattern/],
      ['an item wider than a pattern could be', c0((c) => ((c.items as Record<string, unknown[]>).exec = [{ key: '**' }])), /^spec\.containers\[0\]\.items\.exec: "\*\*": /],
      ['the name of another object', { ...obj, metadata: { ...obj.metadata, name: 'deployment.db' } }, /^body\.metadata\.name: "deployment\.db" is not the object of shop\/Deployment\/web \(deployment\.web\)/],
      ['a container twice', { ...obj, spec: { ...obj.spec, containers: [obj.spec.containers[0], obj.spec.containers[0]] } }, /^container app appears twice$/],
      ['as YAML, a wrong apiVersion', toYaml({ ...obj, apiVersion: 'habitwatch.io/v2' }), /^body\.apiVersion: must be equal to constant/, 'application/yaml'],
    ];
    for (const [what, body, message, type] of cases) {
      const r = await post(objs, '/v1/baselines/import', typeof body === 'string' ? body : JSON.stringify(body), { type });
      assert.equal(r.status, 400, `${what}: ${r.text}`);
      assert.match(r.type ?? '', /^application\/json/, what);
      assert.ok(!r.text.includes('\n'), `${what}: one line`);
      const e = JSON.parse(r.text) as { error: string; status: number };
      assert.equal(e.status, 400);
      assert.match(e.error, message, `${what}: ${e.error}`);
    }
    assert.equal(await refused400(objs), count + cases.length, 'habitwatch_api_refused_total{status="400"}');
    assert.equal(JSON.stringify(view(objs)), before, 'nothing changed');
  });

  it('without the update action: 403 (read, respond), nothing changed', async () => {
    const before = JSON.stringify(view(objs));
    for (const token of [READER, RESPONDER]) {
      const r = await post(objs, '/v1/baselines/import?mode=merge', JSON.stringify({ ...obj, spec: { ...obj.spec, containers: [{ ...obj.spec.containers[0], items: { exec: [{ key: '/usr/bin/backdoor' }] } }] } }), { token });
      assert.equal(r.status, 403, r.text);
      assert.match((JSON.parse(r.text) as { error: string }).error, /may not update workload baselines cluster-wide/);
    }
    assert.equal(JSON.stringify(view(objs)), before);
  });
});
