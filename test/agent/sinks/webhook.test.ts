import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/env.ts';
import { CLOUDEVENT_TYPE } from '../../../agent/sinks/webhook/formats.ts';
import { isNew, makeAlert, repeat, startHarness, startReceiver, type Harness, type Receiver } from './helpers.ts';

/** what a receiver does: recompute HMAC over `${ts}.${body}` and compare in constant time */
function verify(secret: string, ts: string, body: string, sig: string): boolean {
  const want = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

describe('sink: webhook', () => {
  let rx: Receiver;
  let h: Harness | undefined;
  beforeEach(async () => {
    rx = await startReceiver();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await rx.close();
  });

  it('posts signed JSON batches with idempotency keys, bearer token and custom headers', async () => {
    h = await startHarness([
      { type: 'webhook', name: 'siem', url: `${rx.url}/hook`, hmacSecret: 'k3y', bearerToken: 'tok', headers: { 'X-Tenant': 't1' } },
    ]);
    const [a, b] = [makeAlert(), makeAlert()];
    h.alerts.commit([isNew(a), isNew(b)]);
    await waitFor(() => rx.requests.length === 1);
    const r = rx.requests[0];
    assert.equal(r.path, '/hook');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers.authorization, 'Bearer tok');
    assert.equal(r.headers['x-tenant'], 't1');
    const ts = String(r.headers['x-habitwatch-timestamp']);
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60);
    assert.ok(verify('k3y', ts, r.body, String(r.headers['x-habitwatch-signature'])), 'signature verifies');
    assert.ok(!verify('wrong', ts, r.body, String(r.headers['x-habitwatch-signature'])));
    assert.match(String(r.headers['idempotency-key']), /^batch-[0-9a-f]{32}$/);
    const body = r.json as { version: string; alerts: { idempotencyKey: string; revision: number; alert: { id: string } }[] };
    assert.equal(body.version, 'habitwatch.webhook/v1');
    assert.deepEqual(body.alerts.map((x) => x.idempotencyKey), [a.id, b.id]);
    assert.deepEqual(body.alerts.map((x) => x.alert.id), [a.id, b.id]);
  });

  it('a single-alert batch carries the alert id as Idempotency-Key', async () => {
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url }]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    await waitFor(() => rx.requests.length === 1);
    assert.equal(rx.requests[0].headers['idempotency-key'], a.id);
    assert.equal(rx.requests[0].headers['x-habitwatch-signature'], undefined);
  });

  it('format cloudevents: CloudEvents 1.0 structured batch', async () => {
    h = await startHarness([{ type: 'webhook', name: 'ce', url: rx.url, format: 'cloudevents', sendUpdates: true }]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    await waitFor(() => rx.requests.length === 1);
    h.alerts.commit([repeat(a)]);
    await waitFor(() => rx.requests.length === 2);
    assert.equal(rx.requests[0].headers['content-type'], 'application/cloudevents-batch+json');
    const evs = rx.requests.flatMap((r) => r.json as Record<string, unknown>[]);
    for (const e of evs) {
      for (const k of ['specversion', 'id', 'source', 'type']) assert.ok(typeof e[k] === 'string' && e[k] !== '', `required attribute ${k}`);
      assert.equal(e.specversion, '1.0');
      assert.equal(e.type, CLOUDEVENT_TYPE);
      assert.equal(e.datacontenttype, 'application/json');
      assert.ok(!Number.isNaN(Date.parse(String(e.time))));
      // extension attribute names: lower-case letters and digits only
      for (const k of Object.keys(e)) assert.match(k, /^[a-z0-9]+$/);
      assert.equal(e.idempotencykey, a.id);
      assert.equal((e.data as { id: string }).id, a.id);
    }
    assert.notEqual(evs[0].id, evs[1].id, 'a repeat is a new event about the same alert');
  });

  it('format ocsf: Detection Finding shape', async () => {
    h = await startHarness([{ type: 'webhook', name: 'ocsf', url: rx.url, format: 'ocsf' }]);
    const a = makeAlert({ severity: 'critical' });
    h.alerts.commit([isNew(a)]);
    await waitFor(() => rx.requests.length === 1);
    const [f] = rx.requests[0].json as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(f.class_uid, 2004);
    assert.equal(f.category_uid, 2);
    assert.equal(f.activity_id, 1);
    assert.equal(f.type_uid, 200401);
    assert.equal(f.severity_id, 5);
    assert.equal(f.finding_info.uid, a.id);
    assert.equal(f.finding_info.analytic.uid, a.rule);
    assert.equal(f.finding_info.attacks[0].technique.uid, 'T1059.004');
    assert.equal(f.metadata.uid, a.id);
    assert.equal(typeof f.time, 'number');
    assert.equal(f.evidences[0].process.file.path, '/tmp/evil');
  });

  it('slack sink: one text message per batch, repeats stay quiet', async () => {
    h = await startHarness([{ type: 'slack', name: 'chat', url: `${rx.url}/services/x`, channel: '#sec' }]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    await h.delivery.drain();
    h.alerts.commit([repeat(a)]);
    await h.delivery.drain();
    assert.equal(rx.requests.length, 1);
    const m = rx.requests[0].json as { text: string; channel: string };
    assert.match(m.text, /exec-writable-path/);
    assert.equal(m.channel, '#sec');
    assert.equal(rx.requests[0].headers['content-type'], 'application/json');
  });

  it('TLS: trusts a configured CA, refuses an unknown one (retrying), or skips verification when told', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'hw-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
      const got: string[] = [];
      const srv = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => {
        req.resume();
        req.on('end', () => {
          got.push(String(req.headers['x-habitwatch-timestamp']));
          res.end();
        });
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as { port: number }).port;
      try {
        h = await startHarness([
          { type: 'webhook', name: 'ca', url: `https://127.0.0.1:${port}/`, tls: { caFile: join(dir, 'c.pem') } },
          { type: 'webhook', name: 'skip', url: `https://127.0.0.1:${port}/`, tls: { insecureSkipVerify: true } },
          { type: 'webhook', name: 'untrusted', url: `https://127.0.0.1:${port}/`, retry: { initial: 60000 } },
        ]);
        h.alerts.commit([isNew(makeAlert())]);
        await waitFor(() => got.length === 2, { what: 'two TLS deliveries' });
        await waitFor(async () => (await h!.metric('habitwatch_sink_deliveries_total', { sink: 'untrusted', outcome: 'retry' })) === 1);
        assert.equal(await h.metric('habitwatch_sink_deliveries_total', { sink: 'untrusted', outcome: 'delivered' }), 0);
      } finally {
        await h?.close();
        h = undefined;
        srv.closeAllConnections();
        await new Promise<void>((r) => srv.close(() => r()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
