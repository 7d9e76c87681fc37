// Sinks set to `deliver: incidents`: the incident, not each alert, pages a human.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Alert } from '../../../models/alert.ts';
import type { Incident } from '../../../models/incident.ts';
import { DEFAULT_INCIDENTS, IncidentGrouper } from '../../../models/incidents.ts';
import { toAmIncident } from '../../../agent/sinks/alertmanager/index.ts';
import { renderSlackIncidents } from '../../../agent/sinks/slack/index.ts';
import { renderWebhookIncidents } from '../../../agent/sinks/webhook/index.ts';
import { resolveSinks, sinkTypes } from '../../../agent/sinks/index.ts';
import { defineSink, type IncidentDelivery } from '../../../agent/sinks/types.ts';
import { validateConfig } from '../../../agent/config/load.ts';
import { silentLogger } from '../../../collector/log.ts';
import { waitFor } from '../../support/env.ts';
import { ManualTimer } from '../../support/manual-timer.ts';
import { assertValidIncident } from '../../support/alert-schema.ts';
import { makeAlert as fixture, startHarness, startReceiver, type Harness, type Receiver } from './helpers.ts';

interface IncidentBody {
  incidents: { idempotencyKey: string; revision: number; update: boolean; incident: Incident }[];
}
const delivered = (r: Receiver) => r.requests.flatMap((q) => (q.json as IncidentBody).incidents ?? []);
const alertIds = (r: Receiver) => r.requests.flatMap((q) => ((q.json as { alerts?: { alert: Alert }[] }).alerts ?? []).map((a) => a.alert.id));
const fast = { retry: { initial: 20, max: 100 } };
/** the delivery fixture, with a real (UUID) id as incident timelines carry */
const makeAlert = (o: Partial<Alert> = {}): Alert => fixture({ id: randomUUID(), ...o });

/** commits alerts the way the pipeline does: each with the incident updates it made */
function committer(h: () => Harness) {
  const g = new IncidentGrouper(DEFAULT_INCIDENTS);
  return (a: Alert, isNew = true): void => {
    const u = { alert: a, isNew };
    g.add(u, Date.parse(a.lastSeen));
    h().alerts.commit([u], g.drain());
  };
}

function incident(o: Partial<Incident> = {}): Incident {
  const g = new IncidentGrouper(DEFAULT_INCIDENTS);
  const a = makeAlert({ time: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:10:00.000Z', summary: 'shell <x> & more' });
  g.add({ alert: a, isNew: true }, Date.parse(a.time));
  return { ...g.drain()[0].incident, ...o };
}

describe('sinks: deliver incidents', () => {
  let rx: Receiver;
  let rx2: Receiver | undefined;
  let h: Harness | undefined;
  beforeEach(async () => (rx = await startReceiver()));
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await rx.close();
    await rx2?.close();
    rx2 = undefined;
  });

  it('one delivery per incident, not per alert; an alert sink beside it gets every alert', async () => {
    rx2 = await startReceiver();
    h = await startHarness([
      { type: 'webhook', name: 'pager', url: rx.url, deliver: 'incidents', ...fast },
      { type: 'webhook', name: 'siem', url: rx2.url, ...fast },
    ]);
    const commit = committer(() => h!);
    const alerts = [makeAlert(), makeAlert({ rule: 'shell-spawned' }), makeAlert({ rule: 'sa-token-read' })];
    commit(alerts[0]);
    await h.delivery.drain();
    commit(alerts[1]);
    commit(alerts[2]);
    await h.delivery.drain();
    await waitFor(() => alertIds(rx2!).length === 3, { what: 'the alert sink' });
    const got = delivered(rx);
    assert.equal(got.length, 1, JSON.stringify(got.map((d) => d.incident.id)));
    assert.equal(got[0].update, false);
    assert.equal(got[0].idempotencyKey, got[0].incident.id);
    assertValidIncident(got[0].incident);
    for (const a of alerts) assert.equal(h.alerts.get(a.id)?.incident, got[0].incident.id);
    const stored = h.alerts.incidents.get(got[0].incident.id)!;
    assert.equal(stored.alerts, 3);
    assert.deepEqual(stored.rules, ['exec-writable-path', 'shell-spawned', 'sa-token-read']);
  });

  it('an escalation pages again (as an update); past a minSeverity it is the first page', async () => {
    rx2 = await startReceiver();
    h = await startHarness([
      { type: 'webhook', name: 'all', url: rx.url, deliver: 'incidents', ...fast },
      { type: 'webhook', name: 'critical-only', url: rx2.url, deliver: 'incidents', minSeverity: 'critical', ...fast },
    ]);
    const commit = committer(() => h!);
    commit(makeAlert({ severity: 'medium' }));
    await h.delivery.drain();
    commit(makeAlert({ severity: 'medium', rule: 'unexpected-connect' })); // grew: no page
    await h.delivery.drain();
    commit(makeAlert({ severity: 'critical', rule: 'drift-exec' }));
    await h.delivery.drain();
    await waitFor(() => delivered(rx).length === 2 && delivered(rx2!).length === 1, { what: 'pages' });
    assert.deepEqual(delivered(rx).map((d) => [d.update, d.incident.severity]), [
      [false, 'medium'],
      [true, 'critical'],
    ]);
    assert.deepEqual(delivered(rx2).map((d) => [d.update, d.incident.severity, d.incident.alerts]), [[false, 'critical', 3]]);
  });

  it('sendUpdates: growth and repeats are updates, coalesced while one waits', async () => {
    h = await startHarness([{ type: 'webhook', name: 'upd', url: rx.url, deliver: 'incidents', sendUpdates: true, ...fast }]);
    const commit = committer(() => h!);
    const a = makeAlert();
    commit(a);
    await h.delivery.drain();
    commit(makeAlert({ rule: 'shell-spawned' }));
    for (let i = 0; i < 5; i++) commit({ ...a, count: a.count + i + 1 }, false);
    await h.delivery.drain();
    const got = delivered(rx);
    assert.ok(got.length >= 2 && got.length <= 3, String(got.length));
    assert.deepEqual(got.map((d) => d.update), [false, ...got.slice(1).map(() => true)]);
    assert.equal(got[got.length - 1].incident.count, 7);
    assert.equal(new Set(got.map((d) => d.idempotencyKey)).size, 1);
  });

  it('alertmanager: active incidents are re-sent every resendInterval', async () => {
    const timer = new ManualTimer(Date.now());
    h = await startHarness([{ type: 'alertmanager', name: 'am', url: rx.url, deliver: 'incidents', resendInterval: '1m', resolveAfter: '15m', ...fast }], { timer });
    const commit = committer(() => h!);
    const a = makeAlert({ time: new Date(timer.now()).toISOString(), lastSeen: new Date(timer.now()).toISOString() });
    commit(a);
    await waitFor(() => rx.requests.length === 1, { what: 'first post' });
    // run the timers on virtual time (gauges every second, then the one-minute re-send)
    await waitFor(() => rx.requests.length === 2 || (timer.fireNext(), false), { what: 're-send' });
    const [am] = rx.requests[1].json as { labels: Record<string, string> }[];
    assert.equal(am.labels.alertname, 'HabitwatchIncident');
    assert.equal(am.labels.incident_id, h.alerts.get(a.id)?.incident);
  });

  it('a sink type without incident delivery is refused; deliver is validated', () => {
    const sinks = resolveSinks([{ type: 'webhook', name: 'w', url: 'http://127.0.0.1:1' }, { type: 'slack', name: 's', url: 'http://127.0.0.1:1', deliver: 'incidents' }], silentLogger, Date.now);
    assert.deepEqual(sinks.map((s) => s.deliver), ['alerts', 'incidents']);
    for (const s of sinks) s.instance.close?.();
    sinkTypes.alertsonly = defineSink<object>({ type: 'alertsonly', description: 'test', configSchema: {}, defaults: {}, defaultBatchSize: 1, wantsUpdates: () => false, create: () => ({ send: async () => {} }) });
    try {
      assert.throws(() => resolveSinks([{ type: 'alertsonly', name: 'x', deliver: 'incidents' }], silentLogger, Date.now), /sink x: a alertsonly sink cannot deliver incidents/);
    } finally {
      delete sinkTypes.alertsonly;
    }
    assert.match(validateConfig({ sinks: [{ type: 'webhook', name: 'w', url: 'http://x', deliver: 'everything' }] }).join('\n'), /sinks\.0\.deliver: must be one of "alerts", "incidents"/);
  });

  it('payloads: native, CloudEvents, OCSF Incident Finding, Alertmanager, Slack', () => {
    const i = incident();
    const d: IncidentDelivery = { incident: i, idempotencyKey: i.id, revision: 3, update: true };
    const native = JSON.parse(renderWebhookIncidents({ format: 'native', sourceName: 'hw' }, [d], 0).body) as IncidentBody & { version: string };
    assert.equal(native.version, 'habitwatch.webhook/v1');
    assert.deepEqual(native.incidents[0], { idempotencyKey: i.id, revision: 3, update: true, incident: i });
    const ce = renderWebhookIncidents({ format: 'cloudevents', sourceName: 'hw' }, [d], 0);
    assert.equal(ce.contentType, 'application/cloudevents-batch+json');
    const [e] = JSON.parse(ce.body) as Record<string, unknown>[];
    assert.deepEqual([e.type, e.id, e.subject, e.source], ['io.habitwatch.incident.v1', `${i.id}-3`, 'shop/Deployment/api', 'hw/test-node']);
    const [o] = JSON.parse(renderWebhookIncidents({ format: 'ocsf', sourceName: 'hw' }, [d], 0).body) as Record<string, unknown>[];
    assert.deepEqual([o.class_uid, o.activity_id, o.type_uid, o.severity_id], [2005, 2, 200502, 4]);
    assert.equal((o.finding_info_list as unknown[]).length, 1);
    assert.deepEqual((o.attacks as { technique: { uid: string } }[]).map((x) => x.technique.uid), ['T1059.004']);
    const am = toAmIncident(d, { resolveAfter: '5m', externalURL: 'http://hw.example/', extraLabels: { cluster: 'c1' } });
    assert.equal(am.labels.severity, 'high');
    assert.equal(am.labels.mitre_techniques, 'T1059.004');
    assert.equal(am.labels.cluster, 'c1');
    for (const k of Object.keys(am.labels)) assert.match(k, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
    assert.equal(am.endsAt, '2026-01-01T00:15:00.000Z');
    assert.equal(am.generatorURL, `http://hw.example/v1/incidents/${i.id}`);
    assert.match(am.annotations.description, /exec-writable-path \[T1059\.004\] shell <x> & more/);
    const slack = renderSlackIncidents([{ ...d, update: false }, d], {});
    assert.match(slack.text, /^\*habitwatch: 2 incidents\*\n:red_circle: \*HIGH\* incident: shell &lt;x&gt; &amp; more/);
    assert.match(slack.text, /incident escalated to \*HIGH\*/);
  });
});
