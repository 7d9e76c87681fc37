import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ApiServer } from '../../../agent/api/server.ts';
import { staticTokenAuth } from '../../../agent/api/auth/tokens.ts';
import { Bus } from '../../../agent/bus.ts';
import { createMetrics, type Metrics } from '../../../agent/metrics.ts';
import { registerStream, CLOSE_SLOW_CONSUMER, CLOSE_BAD_SUBSCRIPTION, type StreamHandle } from '../../../agent/api/stream.ts';
import { silentLogger } from '../../../collector/log.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { waitFor } from '../../support/env.ts';
import { makeAlert } from '../sinks/helpers.ts';

interface Msg {
  type: string;
  alert?: { id: string };
  events?: RuntimeEvent[];
  filter?: Record<string, unknown>;
}

function event(ns: string, name: string): RuntimeEvent {
  return {
    time: Date.now(),
    node: 'n',
    source: 'events',
    process: { pid: 1, exe: '/bin/true', args: [] },
    workload: { id: `${ns}/Deployment/${name}`, namespace: ns, kind: 'Deployment', name },
    enrichment: 'complete',
    kind: 'exec',
  } as RuntimeEvent;
}

describe('api: live stream /v1/stream', () => {
  let api: ApiServer;
  let bus: Bus;
  let metrics: Metrics;
  let stream: StreamHandle;
  let base: string;
  const sockets: WebSocket[] = [];

  const connect = (query = '', headers: Record<string, string> = { Authorization: 'Bearer s3cret-stream-token' }): { ws: WebSocket; msgs: Msg[]; closed: Promise<{ code: number; reason: string }> } => {
    const ws = new WebSocket(`${base}/v1/stream${query}`, { headers });
    sockets.push(ws);
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
    ws.on('error', () => {});
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    return { ws, msgs, closed };
  };

  beforeEach(async () => {
    api = new ApiServer({ host: '127.0.0.1', port: 0, auth: staticTokenAuth([{ name: 'admin', role: 'read', token: 's3cret-stream-token' }]), log: silentLogger });
    bus = new Bus();
    metrics = createMetrics({ defaultMetrics: false });
    stream = registerStream(api, bus, { log: silentLogger, metrics, maxBufferedBytes: 256 * 1024 });
    const { port } = await api.listen();
    base = `ws://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    stream.close();
    await api.close();
  });

  it('refuses connections without a valid token', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/v1/stream`, { headers: { Authorization: 'Bearer nope' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    assert.equal(status, 401);
  });

  it('pushes alerts matching the query filters (token also as access_token)', async () => {
    const c = connect('?minSeverity=high&namespace=shop&access_token=s3cret-stream-token', {});
    await waitFor(() => c.msgs.some((m) => m.type === 'hello'));
    assert.equal(c.msgs[0].filter?.minSeverity, 'high');
    const hit = makeAlert();
    bus.emit('alert', { alert: makeAlert({ severity: 'low' }), isNew: true });
    bus.emit('alert', { alert: makeAlert({ ns: 'other' }), isNew: true });
    bus.emit('alert', { alert: hit, isNew: true });
    await waitFor(() => c.msgs.some((m) => m.type === 'alert'));
    assert.deepEqual(c.msgs.filter((m) => m.type === 'alert').map((m) => m.alert?.id), [hit.id]);
    assert.equal((await metrics.registry.getSingleMetric('habitwatch_stream_clients')!.get()).values[0].value, 1);
  });

  it('a subscribe message replaces the filters and can ask for events', async () => {
    const c = connect();
    await waitFor(() => c.msgs.length === 1);
    assert.equal(bus.wantsEvents(), false);
    c.ws.send(JSON.stringify({ type: 'subscribe', rules: ['r2'], workloads: ['Deployment/api'], events: true }));
    await waitFor(() => c.msgs.some((m) => m.type === 'subscribed'));
    assert.equal(bus.wantsEvents(), true);
    bus.emit('events', [event('shop', 'api'), event('shop', 'web')]);
    bus.emit('alert', { alert: makeAlert({ rule: 'r1' }), isNew: true });
    const r2 = makeAlert({ rule: 'r2' });
    bus.emit('alert', { alert: r2, isNew: false });
    await waitFor(() => c.msgs.filter((m) => m.type !== 'subscribed' && m.type !== 'hello').length === 2);
    const evs = c.msgs.find((m) => m.type === 'events')!.events!;
    assert.deepEqual(evs.map((e) => e.workload?.name), ['api']);
    assert.equal(c.msgs.find((m) => m.type === 'alert')?.alert?.id, r2.id);
    c.ws.close();
    await c.closed;
    await waitFor(() => !bus.wantsEvents(), { what: 'events listener removed' });
  });

  it('closes with 4400 on a bad subscription', async () => {
    const c = connect('?minSeverity=urgent');
    assert.equal((await c.closed).code, CLOSE_BAD_SUBSCRIPTION);
    const d = connect();
    await waitFor(() => d.msgs.length === 1);
    d.ws.send('not json');
    assert.equal((await d.closed).code, CLOSE_BAD_SUBSCRIPTION);
  });

  it('drops a slow consumer with close code 1013 instead of buffering without bound', async () => {
    const slow = connect();
    const fast = connect();
    await waitFor(() => slow.msgs.length === 1 && fast.msgs.length === 1);
    slow.ws.pause(); // stop reading: the kernel buffers fill, then ws buffers
    const big = 'x'.repeat(64 * 1024);
    let sent = 0;
    await waitFor(
      async () => {
        for (let i = 0; i < 4; i++) {
          bus.emit('alert', { alert: makeAlert({ description: big }), isNew: true });
          sent++;
        }
        const v = (await metrics.registry.getSingleMetric('habitwatch_stream_disconnects_total')!.get()).values;
        return v.some((x) => x.labels.reason === 'slow_consumer' && x.value === 1);
      },
      { what: 'slow consumer dropped', timeoutMs: 20000, intervalMs: 5 },
    );
    slow.ws.resume();
    assert.equal((await slow.closed).code, CLOSE_SLOW_CONSUMER);
    // the healthy client got everything
    await waitFor(() => fast.msgs.filter((m) => m.type === 'alert').length === sent, { what: 'fast client complete' });
  });
});
