// Falco http_output ingest on a real loopback HTTP server: real fixture alerts POSTed
// the way Falco posts them (one JSON object per request, application/json) come out
// of the source as events; bad requests are answered 4xx and counted by reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import falco from '../../collector/sources/falco/index.ts';
import { defaults, type FalcoConfig } from '../../collector/sources/falco/config.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { createLogger } from '../../collector/logger.ts';
import { SHARED_FIXTURES, requireSharedFixtures, waitFor } from '../support/env.ts';
import { testContext } from '../collector/sources/tetragon/context.ts';

describe('e2e: falco http_output ingest', function () {
  this.timeout(30000);
  const abort = new AbortController();
  const logged: Record<string, unknown>[] = [];
  const ctx = testContext(abort.signal, createLogger({ level: 'debug', write: (l) => void logged.push(JSON.parse(l)) }));
  const events: RuntimeEvent[] = [];
  const TOKEN = 's3cret-token';
  let base = '';
  let consumer: Promise<void> | undefined;

  before(async function () {
    requireSharedFixtures(this);
    const config: FalcoConfig = { ...defaults, http: { ...defaults.http, listen: '127.0.0.1:0', token: TOKEN } };
    assert.equal(await falco.available!(config, ctx), true);
    const batches = falco.live!(config, ctx);
    consumer = (async () => {
      for await (const b of batches) events.push(...b);
    })();
    const info = await waitFor(() => logged.find((l) => l.msg === 'falco http ingest listening'), { what: 'ingest listening' });
    base = `http://127.0.0.1:${info.port as number}`;
  });

  after(async () => {
    abort.abort();
    await consumer;
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });

  it('accepts every fixture alert, one per request, and emits the runtime ones', async () => {
    const lines = readFileSync(join(SHARED_FIXTURES, 'falco', 'falco-alerts.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    for (const l of lines) {
      const res = await post(l);
      assert.equal(res.status, 200, await res.text());
    }
    await waitFor(() => events.length >= 8, { what: '8 events' });
    assert.deepEqual(
      events.map((e) => e.kind),
      ['exec', 'exec', 'connect', 'exec', 'exec', 'connect', 'exec', 'file_open'],
    );
    const c = events[2];
    assert.equal(c.kind === 'connect' && `${c.dstAddr}:${c.dstPort}`, '10.96.0.1:443');
    assert.equal(c.workload?.id, 'openfaas-fn/Deployment/falco-pod-delete');
    assert.equal(c.container?.id, '12fc4de5ccc3');
    // live: the node is this agent's unless configured otherwise
    assert.ok(events.every((e) => e.node === 'test-node' && e.source === 'falco'));
    assert.equal(ctx.stats.snap.received.falco, 20);
  });

  it('rejects bad bodies with 400 and counts them by reason', async () => {
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post('')).status, 400);
    assert.equal((await post('{"output":"no rule"}')).status, 400);
    assert.equal((await post('[1]')).status, 400);
    assert.deepEqual(ctx.stats.snap.bad.falco, { invalid_json: 1, empty_body: 1, missing_field: 1, not_an_object: 1 });
  });

  it('requires the bearer token and JSON content type', async () => {
    const body = JSON.stringify({ rule: 'r', source: 'syscall', time: '2025-01-01T00:00:00Z', output_fields: { 'proc.name': 'x' } });
    assert.equal((await post(body, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post(body, { authorization: '' })).status, 401);
    assert.equal((await post(body, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await fetch(`${base}/`)).status, 405);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal(ctx.stats.snap.bad.falco.unauthorized, 2);
    assert.equal(ctx.stats.snap.bad.falco.bad_content_type, 1);
  });

  it('rejects bodies over the size limit with 413', async () => {
    const huge = JSON.stringify({ rule: 'r', output: 'x'.repeat(defaults.http.maxBodyBytes + 10) });
    const res = await post(huge).catch(() => undefined); // the server may cut the upload short
    if (res) assert.equal(res.status, 413);
    await waitFor(() => ctx.stats.snap.bad.falco.body_too_large === 1, { what: 'body_too_large counted' });
  });
});
