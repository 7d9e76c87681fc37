// The API error test: every route of the running server (over a loopback port, no
// handler called directly) × malformed paths, queries and bodies answers a JSON 4xx
// with a message — never a 500, never a bare reset. Plus 401/403/405/413/415/429 and
// the approvals a baseline could never have learned.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, type AgentHandle } from '../../../agent/agent.ts';
import { buildConfig } from '../../../agent/config/load.ts';
import { silentLogger } from '../../../collector/log.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { waitFor } from '../../support/env.ts';

const W = 'shop/Deployment/web';
const TOKENS = { read: 'read-token-0123456789', respond: 'respond-token-0123456789', admin: 'admin-token-0123456789' };
const line = (t: number, exe: string, extra: object = {}) =>
  JSON.stringify({
    time: t,
    kind: 'exec',
    workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' },
    process: { pid: 7, exe, args: [exe] },
    ...extra,
  }) + '\n';

interface Res {
  status: number;
  body: unknown;
  text: string;
}

describe('API errors: every route × malformed input → JSON 4xx', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let port: number;
  let alertId: string;
  let incidentId: string;

  // node:http, not fetch: fetch normalises the path ("/%2e%2e/x" becomes "/x") and so
  // would never send what an attacker can
  const call = (method: string, path: string, o: { token?: string | null; body?: string; type?: string; headers?: Record<string, string> } = {}): Promise<Res> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token === undefined ? TOKENS.admin : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (o.body !== undefined) {
        headers['content-type'] = o.type ?? 'application/json';
        headers['content-length'] = String(Buffer.byteLength(o.body, o.type === 'application/json' && /[\x80-\xff]/.test(o.body) ? 'latin1' : 'utf8'));
      }
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      });
      req.on('error', reject);
      req.end(o.body === undefined ? undefined : Buffer.from(o.body, o.type === 'application/json' && /[\x80-\xff]/.test(o.body) ? 'latin1' : 'utf8'));
    });

  const assertJson4xx = (r: Res, what: string, status?: number): void => {
    assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${r.text.slice(0, 200)}`);
    if (status !== undefined) assert.equal(r.status, status, `${what}: ${r.text.slice(0, 200)}`);
    const b = r.body as { error?: unknown; status?: unknown } | undefined;
    assert.ok(b && typeof b.error === 'string' && b.error.length > 0, `${what}: JSON body with an error message (got ${r.text.slice(0, 200)})`);
    assert.equal(b.status, r.status, `${what}: body.status`);
  };

  before(async () => {
    tmp = tempDir('hw-api-errors-');
    const input = join(tmp.dir, 'events.jsonl');
    const t = Date.now();
    writeFileSync(input, line(t, '/usr/bin/web'));
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      api: {
        listen: '127.0.0.1:0',
        tokens: [
          { name: 'reader', token: TOKENS.read, role: 'read' },
          { name: 'responder', token: TOKENS.respond, role: 'respond' },
          { name: 'boss', token: TOKENS.admin, role: 'admin' },
        ],
        limits: { maxBodyBytes: 64 * 1024, ratePerSecond: 1000, burst: 5000, maxInFlight: 64 },
      },
      sources: { enabled: ['events'], events: { paths: [input], follow: true } },
      learning: { minLearning: '0s', quietPeriod: '200ms' },
      store: { flushInterval: '100ms' },
    });
    agent = await startAgent(config, { log: silentLogger });
    port = agent.apiPort!;
    await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable baseline' });
    writeFileSync(input, line(t, '/usr/bin/web') + line(Date.now(), '/usr/bin/curl'));
    alertId = await waitFor(() => agent.alerts.list({ workload: W })[0]?.id, { what: 'an alert' });
    incidentId = agent.alerts.get(alertId)!.incident!;
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  /** a concrete, valid path for a route */
  const concrete = (path: string): string => path.replace('{id*}', W).replace('{id}', path.startsWith('/v1/incidents/') ? incidentId : alertId);

  it('every route answers malformed percent-escapes, traversal and control characters with a JSON 400, with or without a token', async () => {
    const routes = agent.api!.routeList();
    assert.ok(routes.length >= 20, `routes: ${routes.length}`);
    for (const r of routes) {
      const good = concrete(r.path);
      const bad = [
        good + '%',
        good + '/%zz',
        '/%E0%A4%A' + good,
        good.replace(/\/([^/]+)$/, '/%2e%2e/$1'),
        good.replace(/\/([^/]+)$/, '/../$1'),
        good.replace(/\/([^/]+)$/, '/./$1'),
        good + '/%00',
        good.replace(/\/([^/]+)$/, '//$1'),
        good + '?%zz=1',
        good + '?x=%ff%fe',
      ];
      for (const p of bad) {
        for (const token of [TOKENS.admin, null]) assertJson4xx(await call(r.method, p, { token }), `${r.method} ${p} token=${token !== null}`, 400);
      }
    }
  });

  it('every route refuses unknown and repeated query parameters and bad values of its own', async () => {
    for (const r of agent.api!.routeList()) {
      const good = concrete(r.path);
      const body = r.hasBody ? '{}' : undefined;
      assertJson4xx(await call(r.method, `${good}?bogus=1`, { body }), `${r.method} ${good}?bogus`, 400);
      for (const q of r.query) {
        assertJson4xx(await call(r.method, `${good}?${q}=%01`, { body }), `${r.method} ${good}?${q}=control`, 400);
        assertJson4xx(await call(r.method, `${good}?${q}=a&${q}=b`, { body }), `${r.method} ${good}?${q} twice`, 400);
      }
    }
    for (const [q, v] of [
      ['limit', '0'],
      ['limit', '1e3'],
      ['limit', '99999999999999999999'],
      ['since', 'tuesday'],
      ['until', '2026-13-45'],
      ['severity', 'extreme'],
      ['status', 'gone'],
      ['cursor', 'bm90IGEgY3Vyc29y'],
      ['cursor', '!!'],
    ]) {
      assertJson4xx(await call('GET', `/v1/alerts?${q}=${encodeURIComponent(v)}`), `alerts ${q}=${v}`, 400);
    }
    assertJson4xx(await call('GET', `/v1/workloads/${W}/diff?from=1&against=x/Deployment/y`), 'diff mixing modes', 400);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/diff?until=1h`), 'diff until without since', 400);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/baseline?kind=exe`), 'bad kind', 400);
    assertJson4xx(await call('GET', `/v1/workloads?state=sleeping`), 'bad state', 400);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/networkpolicy?podSelector=${encodeURIComponent('app=web,=x')}`), 'bad selector', 400);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/writable-paths?mounts=relative`), 'bad mounts', 400);
  });

  it('bad ids: 400 when malformed, 404 when well-formed and unknown', async () => {
    assertJson4xx(await call('GET', '/v1/alerts/not-an-id'), 'malformed alert id', 400);
    assertJson4xx(await call('POST', '/v1/alerts/123/approve', { body: '{}' }), 'malformed alert id (approve)', 400);
    assertJson4xx(await call('GET', '/v1/alerts/00000000-0000-0000-0000-000000000000'), 'unknown alert', 404);
    assertJson4xx(await call('GET', '/v1/workloads/nope/Deployment/none/baseline'), 'unknown workload', 404);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/baseline?container=a/b`), 'container with a slash', 400);
    assertJson4xx(await call('GET', `/v1/workloads/${W}/baseline?container=nope`), 'unknown container', 404);
    assertJson4xx(await call('GET', `/v1/workloads/${encodeURIComponent('a b')}/baseline`), 'workload id with a space', 400);
    assertJson4xx(await call('GET', '/v1/nothing-here'), 'unknown route', 404);
    assertJson4xx(await call('GET', '/'), 'root', 404);
  });

  it('every POST route answers bad bodies with 400/413/415 and JSON', async () => {
    const posts = agent.api!.routeList().filter((r) => r.method === 'POST');
    assert.ok(posts.length >= 10);
    const bodies = ['not json', '{"items":"notarray"}', '[]', '"str"', 'null', '123', '{"kind":"exec","items":[1]}', '{"kind":"exec","items":["/x"],"extra":true}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}'];
    for (const r of posts) {
      const p = concrete(r.path);
      for (const b of bodies) assertJson4xx(await call('POST', p, { body: b }), `POST ${p} body ${b.slice(0, 40)}`, 400);
      assertJson4xx(await call('POST', p, { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'), type: 'application/json' }), `POST ${p} invalid utf-8`);
      assertJson4xx(await call('POST', p, { body: '{}', type: 'text/plain' }), `POST ${p} text/plain`, 415);
      assertJson4xx(await call('POST', p, { body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) }), `POST ${p} oversized`, 413);
      assertJson4xx(await call('GET', p), `GET on POST route ${p}`, 405);
      assertJson4xx(await call('DELETE', p), `DELETE ${p}`, 405);
    }
    for (const r of agent.api!.routeList().filter((x) => x.method === 'GET' && !x.path.startsWith('/healthz') && !x.path.startsWith('/readyz'))) {
      assertJson4xx(await call('POST', concrete(r.path), { body: '{}' }), `POST on GET route ${r.path}`, 405);
    }
  });

  it('413 before reading an oversized body, also chunked', async () => {
    const big = 'x'.repeat(200 * 1024);
    assertJson4xx(await call('POST', `/v1/workloads/${W}/approve`, { body: JSON.stringify({ kind: 'exec', items: [big] }) }), 'declared length', 413);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(8192)));
        c.close();
      },
    });
    const r = await fetch(`http://127.0.0.1:${port}/v1/workloads/${W}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { error: string }).error, /larger than/);
  });

  it('401 without a token, with a wrong one or a malformed header; the probes stay open', async () => {
    assertJson4xx(await call('GET', '/v1/alerts', { token: null }), 'no token', 401);
    assertJson4xx(await call('GET', '/v1/alerts', { token: 'wrong-token-0123456789' }), 'wrong token', 401);
    assertJson4xx(await call('GET', '/v1/alerts', { token: null, headers: { authorization: 'Basic YTpi' } }), 'basic auth', 401);
    assertJson4xx(await call('GET', '/v1/alerts', { token: null, headers: { authorization: 'Bearer' } }), 'empty bearer', 401);
    assert.equal((await call('GET', '/healthz', { token: null })).status, 200);
    assert.equal((await call('GET', '/readyz', { token: null })).status, 200);
    assert.equal((await call('GET', '/metrics', { token: null })).status, 200);
  });

  it('403: without a write role nothing mutates; respond may approve and lock, not relearn or import', async () => {
    const item = { kind: 'exec', items: ['/usr/bin/true'] };
    for (const [path, body] of [
      [`/v1/workloads/${W}/approve`, item],
      [`/v1/workloads/${W}/forbid`, item],
      [`/v1/workloads/${W}/remove`, item],
      [`/v1/workloads/${W}/relearn`, {}],
      [`/v1/workloads/${W}/lock`, {}],
      [`/v1/alerts/${alertId}/approve`, {}],
      [`/v1/alerts/${alertId}/status`, { status: 'acknowledged' }],
    ] as const) {
      assertJson4xx(await call('POST', path, { token: TOKENS.read, body: JSON.stringify(body) }), `read token ${path}`, 403);
    }
    assertJson4xx(await call('POST', `/v1/workloads/${W}/relearn`, { token: TOKENS.respond, body: '{}' }), 'respond relearn', 403);
    assertJson4xx(await call('POST', `/v1/workloads/${W}/remove`, { token: TOKENS.respond, body: JSON.stringify(item) }), 'respond remove', 403);
    assertJson4xx(await call('POST', '/v1/baselines/import', { token: TOKENS.respond, body: '{}' }), 'respond import', 403);
    const before = agent.profiler.baselines.get(`${W}#app`)!.snapshot();
    assert.deepEqual(before.items.exec!.map((i) => i.key), ['/usr/bin/web'], 'nothing changed');
    assert.equal((await call('POST', `/v1/workloads/${W}/lock`, { token: TOKENS.respond, body: '{}' })).status, 200);
    assert.equal((await call('POST', `/v1/workloads/${W}/unlock`, { token: TOKENS.respond, body: '{}' })).status, 200);
    assert.equal((await call('GET', `/v1/workloads/${W}/baseline`, { token: TOKENS.read })).status, 200);
  });

  it('approvals wider than anything a baseline learns are refused', async () => {
    for (const [kind, item] of [
      ['exec', '**'],
      ['exec', '/**'],
      ['exec', '/*'],
      ['exec', '/*/bin/sh'],
      ['exec', '/usr/**'],
      ['exec', '*'],
      ['exec', 'usr/bin/x'],
      ['file_write', '/tmp/../etc/shadow'],
      ['file_write', '/data//x'],
      ['connect', 'tcp *:*'],
      ['connect', 'tcp 10.*.0.1:443'],
      ['connect', 'tcp 10.0.0.1:99999'],
      ['connect', '**'],
      ['listen', 'tcp *:*'],
      ['syscall', '*'],
      ['syscall', 'open*'],
    ]) {
      const r = await call('POST', `/v1/workloads/${W}/approve`, { body: JSON.stringify({ kind, items: [item] }) });
      assertJson4xx(r, `approve ${kind} ${item}`, 400);
    }
    const ok = await call('POST', `/v1/workloads/${W}/approve`, { body: JSON.stringify({ kind: 'file_write', items: ['/var/cache/app/*'] }) });
    assert.equal(ok.status, 200, ok.text);
  });

  it('malformed HTTP gets a JSON 400 on the raw socket', async () => {
    const raw = (payload: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => s.end(payload));
        let out = '';
        s.on('data', (d) => (out += d));
        s.on('close', () => resolve(out));
        s.on('error', reject);
      });
    for (const req of ['GARBAGE\r\n\r\n', 'GET /v1/alerts HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'BREW /v1/alerts HTTP/1.1\r\nHost: x\r\n\r\n', `GET ${'/a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`]) {
      const out = await raw(req);
      assert.match(out, /^HTTP\/1\.1 4\d\d /, `${req.slice(0, 30)} → ${out.slice(0, 80)}`);
      assert.match(out, /\{"error":"[^"]+","status":4\d\d\}$/, out);
    }
  });

  it('never answered 500 (the refused counter has no 5xx)', async () => {
    const { text } = await call('GET', '/metrics');
    assert.match(text, /habitwatch_api_refused_total\{status="400"\} \d+/);
    assert.doesNotMatch(text, /habitwatch_api_refused_total\{status="5\d\d"\}/);
  });
});

describe('API limits and safe defaults', function () {
  this.timeout(30_000);
  const start = async (api: Record<string, unknown>): Promise<{ agent: AgentHandle; base: string; tmp: ReturnType<typeof tempDir> }> => {
    const tmp = tempDir('hw-api-limits-');
    const agent = await startAgent(buildConfig({ dataDir: join(tmp.dir, 'data'), api: { listen: '127.0.0.1:0', ...api }, sources: { enabled: [] } }), { log: silentLogger });
    return { agent, base: `http://127.0.0.1:${agent.apiPort}`, tmp };
  };

  it('429 with Retry-After under a request flood; probes are not rate limited', async () => {
    const { agent, base, tmp } = await start({ tokens: [{ name: 'a', token: TOKENS.admin, role: 'admin' }], limits: { ratePerSecond: 5, burst: 10, maxInFlight: 8 } });
    try {
      const rs = await Promise.all(Array.from({ length: 60 }, () => fetch(`${base}/v1/workloads`, { headers: { authorization: `Bearer ${TOKENS.admin}` } })));
      const codes = rs.map((r) => r.status);
      assert.ok(codes.filter((c) => c === 429).length >= 40, `429s: ${codes.join(',')}`);
      assert.ok(codes.filter((c) => c === 200).length >= 1);
      const limited = rs.find((r) => r.status === 429)!;
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.match(((await limited.json()) as { error: string }).error, /too many requests/);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    } finally {
      await agent.stop();
      tmp.cleanup();
    }
  });

  it('429 past maxInFlight while requests are held (slow bodies); served again once they end', async () => {
    const { agent, base, tmp } = await start({ tokens: [{ name: 'a', token: TOKENS.admin, role: 'admin' }], limits: { ratePerSecond: 1000, burst: 1000, maxInFlight: 2 } });
    const url = new URL(base);
    const held = [0, 1].map(() => {
      // a body announced and never finished keeps its request in flight
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: `/v1/workloads/${W}/lock`, headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json', 'content-length': '100' } });
      req.on('error', () => {});
      req.write('{"container":');
      return req;
    });
    try {
      const get = () => fetch(`${base}/v1/workloads`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const refused = await waitFor(async () => {
        const r = await get();
        return r.status === 429 ? r : undefined;
      }, { what: 'a 429 while two requests are in flight' });
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(((await refused.json()) as { error: string }).error, /too many requests in flight/);
      for (const r of held) r.destroy();
      await waitFor(async () => (await get()).status === 200, { what: 'served again' });
    } finally {
      for (const r of held) r.destroy();
      await agent.stop();
      tmp.cleanup();
    }
  });

  it('tokenless loopback default: anyone may read, nobody may change; a generated admin token (0600) may', async () => {
    const { agent, base, tmp } = await start({});
    try {
      assert.equal((await fetch(`${base}/v1/workloads`)).status, 200);
      const r = await fetch(`${base}/v1/workloads/x/Deployment/y/relearn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { error: string }).error, /anonymous may not update/);
      const { readFileSync, statSync } = await import('node:fs');
      const file = join(tmp.dir, 'data', 'api-token');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const token = readFileSync(file, 'utf8').trim();
      const ok = await fetch(`${base}/v1/workloads/x/Deployment/y/relearn`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
      assert.equal(ok.status, 404, 'authorised (no such workload)');
    } finally {
      await agent.stop();
      tmp.cleanup();
    }
  });

  it('metrics can be closed to anonymous callers', async () => {
    const { agent, base, tmp } = await start({ tokens: [{ name: 'r', token: TOKENS.read }], openMetrics: false });
    try {
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKENS.read}` } })).status, 200);
    } finally {
      await agent.stop();
      tmp.cleanup();
    }
  });
});
