// OpenAPI conformance: docs/openapi.yaml against the running server, route by route and
// response by response. Every route the server has is in the document and vice versa,
// with the same query parameters and request body schemas; every response the server
// sends in this test validates (ajv, JSON Schema 2020-12) against the document's schema
// for its status and content type; every status the document names explicitly for an
// operation is seen at least once.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { WebSocket } from 'ws';
import type { AgentHandle } from '../../../agent/agent.ts';
import { ApiServer } from '../../../agent/api/server.ts';
import { staticTokenAuth } from '../../../agent/api/auth/tokens.ts';
import { silentLogger } from '../../../collector/log.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { startApiAgent } from '../../support/api-agent.ts';
import { REPO, waitFor } from '../../support/env.ts';

type Json = Record<string, unknown>;
const DOC_ID = 'https://habitwatch.dev/schemas/openapi.yaml';
const doc = parseYaml(readFileSync(join(REPO, 'docs/openapi.yaml'), 'utf8')) as Json & { paths: Record<string, Record<string, Json>>; components: Json };
const alertSchema = JSON.parse(readFileSync(join(REPO, 'docs/alert.schema.json'), 'utf8')) as Json;
const incidentSchema = JSON.parse(readFileSync(join(REPO, 'docs/incident.schema.json'), 'utf8')) as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(alertSchema);
ajv.addSchema(incidentSchema);
ajv.addSchema({ ...doc, $id: DOC_ID });

const TOKEN = 'openapi-admin-token-0123';
const W = 'shop/Deployment/web';

/** follow local "#/…" refs of the document (OpenAPI objects: parameters, responses, bodies) */
function deref<T = Json>(o: unknown): T {
  let v = o as Json;
  while (v && typeof v.$ref === 'string' && (v.$ref as string).startsWith('#/')) {
    v = (v.$ref as string)
      .slice(2)
      .split('/')
      .reduce<Json>((a, k) => a[k.replaceAll('~1', '/').replaceAll('~0', '~')] as Json, doc);
  }
  return v as T;
}

/** a schema with every local $ref replaced and descriptions dropped (to compare with the server's) */
function inline(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(inline);
  if (!s || typeof s !== 'object') return s;
  const o = deref(s);
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'description' || k === 'default') continue;
    out[k] = k === 'required' && Array.isArray(v) ? [...v].sort() : inline(v);
  }
  return out;
}

/** "/v1/workloads/{id*}/diff" and "/v1/workloads/{workload}/diff" → "/v1/workloads/{}/diff" */
const shape = (p: string): string => p.replace(/\{[^}]+\}/g, '{}');
const pointer = (...parts: string[]): string => '#/' + parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

interface Seen {
  op: string;
  status: number;
}

describe('OpenAPI conformance: docs/openapi.yaml against the running server', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let base: string;
  const seen: Seen[] = [];
  const docOps = new Map<string, { path: string; method: string; op: Json }>();
  for (const [p, item] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(item)) docOps.set(`${m.toUpperCase()} ${shape(p)}`, { path: p, method: m, op: op as Json });

  /** validate one response against the document and remember it */
  const check = (method: string, path: string, status: number, type: string | null, body: string): void => {
    const key = `${method} ${shape(path)}`;
    const d = docOps.get(key);
    assert.ok(d, `${key}: not in docs/openapi.yaml`);
    const responses = d.op.responses as Json;
    const rkey = String(status) in responses ? String(status) : `${String(status)[0]}XX`;
    assert.ok(rkey in responses, `${key} answered ${status}, which the document does not list (${Object.keys(responses).join(', ')}): ${body.slice(0, 200)}`);
    seen.push({ op: key, status });
    const resp = deref<Json>(responses[rkey]);
    const content = resp.content as Record<string, Json> | undefined;
    if (!content) return;
    const mt = (type ?? '').split(';')[0].trim();
    assert.ok(mt in content, `${key} ${status}: Content-Type ${mt} not documented (${Object.keys(content).join(', ')})`);
    if (mt !== 'application/json') return;
    // validate through the document itself, so $refs resolve as the document means them
    const where = (responses[rkey] as Json).$ref
      ? `${(responses[rkey] as Json).$ref as string}/content/application~1json/schema`
      : pointer('paths', d.path, d.method, 'responses', rkey, 'content', 'application/json', 'schema');
    const validate = ajv.getSchema(DOC_ID + where);
    assert.ok(validate, `no schema at ${where}`);
    const value = JSON.parse(body) as unknown;
    assert.ok(validate(value), `${key} ${status} does not match the document: ${ajv.errorsText(validate.errors)}\n${body.slice(0, 600)}`);
  };

  const call = async (method: string, template: string, concrete: string, o: { body?: unknown; raw?: string; type?: string; token?: string | null } = {}): Promise<{ status: number; json: unknown; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
    if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = o.type ?? 'application/json';
    const r = await fetch(base + concrete, { method, headers, body: o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined) });
    const text = await r.text();
    check(method, template, r.status, r.headers.get('content-type'), text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json, headers: r.headers };
  };

  const line = (t: number, kind: string, extra: Json) =>
    JSON.stringify({ time: t, kind, workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: 7, exe: '/usr/bin/web', args: ['web'] }, ...extra }) + '\n';

  before(async () => {
    tmp = tempDir('hw-openapi-');
    const input = join(tmp.dir, 'events.jsonl');
    const t = Date.now();
    writeFileSync(
      input,
      line(t, 'exec', {}) +
        line(t, 'listen', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) +
        line(t, 'connect', { proto: 'tcp', dstAddr: '10.0.0.7', dstPort: 5432 }) +
        line(t, 'file_write', { path: '/var/cache/web/x', op: 'create' }) +
        line(t, 'syscall', { names: ['read', 'write', 'openat'] }),
    );
    agent = await startApiAgent(join(tmp.dir, 'data'), input, [{ name: 'admin', token: TOKEN, role: 'admin' }]);
    base = `http://127.0.0.1:${agent.apiPort}`;
    await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable baseline' });
    writeFileSync(input, line(Date.now(), 'exec', { process: { pid: 8, exe: '/usr/bin/curl', args: ['curl'] } }), { flag: 'a' });
    await waitFor(() => agent.alerts.list({ workload: W }).length > 0, { what: 'an alert' });
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('every server route is in the document and every documented route exists, with the same query parameters and bodies', () => {
    const server = new Map(agent.api!.routeList().map((r) => [`${r.method} ${shape(r.path)}`, r]));
    for (const p of agent.api!.upgradeList()) server.set(`GET ${p}`, { method: 'GET', path: p, access: 'list', query: ['minSeverity', 'namespace', 'workload', 'rule', 'events', 'access_token'], hasBody: false });
    assert.deepEqual([...server.keys()].sort(), [...docOps.keys()].sort(), 'routes: server vs docs/openapi.yaml');
    for (const [key, r] of server) {
      const { op } = docOps.get(key)!;
      const params = ((op.parameters as Json[] | undefined) ?? []).map((p) => deref<{ name: string; in: string }>(p));
      assert.deepEqual(params.filter((p) => p.in === 'query').map((p) => p.name).sort(), [...r.query].sort(), `${key}: query parameters`);
      const body = op.requestBody ? deref<Json>(op.requestBody) : undefined;
      assert.equal(body !== undefined, r.hasBody, `${key}: request body`);
      if (body && r.bodySchema) {
        const json = (body.content as Record<string, Json>)['application/json'];
        assert.deepEqual(inline(json.schema), inline(r.bodySchema), `${key}: request body schema (server: agent/api/routes/schemas.ts)`);
      }
    }
  });

  it('every response the server sends matches the document', async () => {
    const id = W;
    const w = (rest: string) => [`/v1/workloads/{workload}/${rest}`, `/v1/workloads/${id}/${rest}`] as const;
    // probes and metrics
    await call('GET', '/healthz', '/healthz', { token: null });
    await call('GET', '/readyz', '/readyz', { token: null });
    await call('GET', '/metrics', '/metrics', { token: null });
    const notReady = new ApiServer({ host: '127.0.0.1', port: 0, auth: staticTokenAuth([]), log: silentLogger, ready: () => false, notObserving: () => ['bpftrace'] });
    const nr = await notReady.listen();
    const r503 = await fetch(`http://127.0.0.1:${nr.port}/readyz`);
    check('GET', '/readyz', r503.status, r503.headers.get('content-type'), await r503.text());
    await notReady.close();
    // reads
    await call('GET', '/v1/workloads', '/v1/workloads?state=stable&namespace=shop');
    await call('GET', '/v1/workloads', '/v1/workloads?state=nope');
    await call('GET', '/v1/workloads', '/v1/workloads', { token: null });
    await call('GET', ...w('baseline'));
    await call('GET', w('baseline')[0], `${w('baseline')[1]}?kind=exec&patterns=true&container=app`);
    await call('GET', '/v1/workloads/{workload}/baseline', '/v1/workloads/no/Deployment/such/baseline');
    await call('GET', ...w('diff'));
    await call('GET', w('diff')[0], `${w('diff')[1]}?since=1h`);
    await call('GET', w('diff')[0], `${w('diff')[1]}?against=${W}`);
    await call('GET', w('diff')[0], `${w('diff')[1]}?from=1&against=${W}`);
    // exports
    const exp = await call('GET', ...w('export'));
    const wb = await call('GET', w('export')[0], `${w('export')[1]}?format=workloadbaseline`);
    await call('GET', ...w('seccomp'));
    await call('GET', w('seccomp')[0], `${w('seccomp')[1]}?format=operator`);
    await call('GET', w('seccomp')[0], `${w('seccomp')[1]}?format=report`);
    await call('GET', ...w('networkpolicy'));
    await call('GET', w('networkpolicy')[0], `${w('networkpolicy')[1]}?podSelector=app=web`);
    await call('GET', ...w('writable-paths'));
    await call('GET', w('writable-paths')[0], `${w('writable-paths')[1]}?mounts=/var/cache`);
    // changes
    const items = { kind: 'exec', items: ['/usr/bin/true'] };
    await call('POST', ...w('approve'), { body: items });
    await call('POST', ...w('approve'), { body: { kind: 'exec', items: ['**'] } });
    await call('POST', ...w('forbid'), { body: { kind: 'exec', items: ['/usr/bin/nc'] } });
    await call('POST', ...w('approve'), { body: { kind: 'exec', items: ['/usr/bin/nc'] } }); // 409
    await call('POST', ...w('unforbid'), { body: { kind: 'exec', items: ['/usr/bin/nc'] } });
    await call('POST', ...w('remove'), { body: items });
    await call('POST', ...w('lock'), { body: {} });
    await call('POST', ...w('unlock'), { body: {} });
    await call('POST', ...w('relearn'), { body: { reset: false } });
    await call('POST', ...w('relearn'), { raw: 'nope' });
    await call('POST', ...w('lock'), { raw: '{}', type: 'text/plain' });
    await call('POST', '/v1/baselines/import', '/v1/baselines/import?workload=shop/Deployment/web-copy', { body: exp.json });
    await call('POST', '/v1/baselines/import', '/v1/baselines/import?mode=merge', { body: exp.json });
    await call('POST', '/v1/baselines/import', '/v1/baselines/import?workload=shop/Deployment/web-object', { body: wb.json });
    await call('POST', '/v1/baselines/import', '/v1/baselines/import', { raw: 'apiVersion: nope', type: 'application/yaml' });
    // alerts
    const page = await call('GET', '/v1/alerts', '/v1/alerts?limit=1');
    await call('GET', '/v1/alerts', '/v1/alerts?severity=low&status=open&since=1d&until=2099-01-01&rule=unexpected-exec&namespace=shop&workload=' + encodeURIComponent(W));
    const cursor = (page.json as { nextCursor: string | null }).nextCursor;
    if (cursor) await call('GET', '/v1/alerts', `/v1/alerts?cursor=${cursor}`);
    await call('GET', '/v1/alerts', '/v1/alerts?cursor=zz');
    const alertId = (page.json as { alerts: { id: string }[] }).alerts[0].id;
    await call('GET', '/v1/alerts/{alertId}', `/v1/alerts/${alertId}`);
    await call('GET', '/v1/alerts/{alertId}', '/v1/alerts/00000000-0000-0000-0000-000000000000');
    await call('GET', '/v1/alerts/{alertId}', '/v1/alerts/bad');
    await call('POST', '/v1/alerts/{alertId}/status', `/v1/alerts/${alertId}/status`, { body: { status: 'acknowledged', note: 'looking' } });
    await call('POST', '/v1/alerts/{alertId}/status', `/v1/alerts/${alertId}/status`, { body: { status: 'gone' } });
    await call('POST', '/v1/alerts/{alertId}/approve', `/v1/alerts/${alertId}/approve`, { body: { note: 'deploy tool' } });
    await call('POST', '/v1/alerts/{alertId}/approve', '/v1/alerts/00000000-0000-0000-0000-000000000000/approve', { body: {} });
    // incidents
    const incidents = await call('GET', '/v1/incidents', '/v1/incidents?limit=1');
    await call('GET', '/v1/incidents', '/v1/incidents?severity=low&since=1d&workload=' + encodeURIComponent(W));
    const filtered = await call('GET', '/v1/incidents', `/v1/incidents?until=2099-01-01&namespace=shop&rule=unexpected-exec&status=${(incidents.json as { incidents: { status: string }[] }).incidents[0].status}`);
    assert.equal((filtered.json as { incidents: unknown[] }).incidents.length, 1, 'rule, namespace and status filters');
    assert.equal(((await call('GET', '/v1/incidents', '/v1/incidents?rule=no-such-rule')).json as { incidents: unknown[] }).incidents.length, 0);
    const incCursor = (incidents.json as { nextCursor: string | null }).nextCursor;
    if (incCursor) await call('GET', '/v1/incidents', `/v1/incidents?cursor=${incCursor}`);
    await call('GET', '/v1/incidents', '/v1/incidents?severity=extreme');
    const incidentId = (incidents.json as { incidents: { id: string }[] }).incidents[0].id;
    await call('GET', '/v1/incidents/{incidentId}', `/v1/incidents/${incidentId}`);
    await call('GET', '/v1/incidents/{incidentId}', '/v1/incidents/00000000-0000-0000-0000-000000000000');
    await call('GET', '/v1/incidents/{incidentId}', '/v1/incidents/bad');
    // audit
    const audit = await call('GET', '/v1/audit', '/v1/audit?limit=2&actor=admin');
    const next = (audit.json as { nextCursor: string | null }).nextCursor;
    assert.ok(next, 'several changes were audited');
    await call('GET', '/v1/audit', `/v1/audit?cursor=${next}&action=approve&workload=${encodeURIComponent(W)}&since=1h&until=2099-01-01`);
    // the stream: a plain request, then a WebSocket
    await call('GET', '/v1/stream', '/v1/stream');
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.apiPort}/v1/stream?minSeverity=high`, { headers: { authorization: `Bearer ${TOKEN}` } });
      ws.on('upgrade', (res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => ws.close());
      ws.on('error', reject);
    });
    seen.push({ op: 'GET /v1/stream', status });
    assert.equal(status, 101);
  });

  it('every operation was exercised, and every status the document names for it was seen', () => {
    for (const [key, { op }] of docOps) {
      const statuses = seen.filter((s) => s.op === key).map((s) => s.status);
      assert.ok(statuses.length > 0, `${key} never called`);
      for (const code of Object.keys(op.responses as Json).filter((c) => /^\d{3}$/.test(c))) {
        assert.ok(statuses.includes(Number(code)), `${key}: documented ${code} never seen (seen ${[...new Set(statuses)].join(', ')})`);
      }
    }
  });
});
