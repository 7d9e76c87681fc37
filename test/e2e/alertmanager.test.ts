// A real Alertmanager on loopback receives habitwatch alerts through the
// alertmanager sink (store + outbox + dispatcher in process) and the test reads
// them back from its API: labels, annotations, endsAt, repeats, re-send after loss.
import assert from 'node:assert/strict';
import { requireComponent, waitFor } from '../support/env.ts';
import { ALERTMANAGER, have, startAlertmanager, type ServerProcess } from '../agent/sinks/servers.ts';
import { isNew, makeAlert, repeat, startHarness, type Harness } from '../agent/sinks/helpers.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentAvailable, AGENT_BIN, appendEvents, evilExec, startAgent, waitForDeliveryStarted, writeAgentConfig, type AgentProcess } from '../agent/sinks/agent-process.ts';

interface AmApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

async function amAlerts(am: ServerProcess): Promise<AmApiAlert[]> {
  const r = await fetch(`${am.url}/api/v2/alerts`);
  assert.equal(r.status, 200);
  return (await r.json()) as AmApiAlert[];
}

describe('e2e: Alertmanager receives our alerts', function () {
  this.timeout(90000);
  let am: ServerProcess | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await am?.stop();
    am = undefined;
  });

  it('posts to /api/v2/alerts with the right labels, keeps them firing, re-sends after Alertmanager lost them', async function () {
    requireComponent(this, have(ALERTMANAGER), `${ALERTMANAGER} (Debian package prometheus-alertmanager)`);
    am = await startAlertmanager();
    h = await startHarness([
      {
        type: 'alertmanager',
        name: 'am',
        url: am.url,
        resolveAfter: '10m',
        resendInterval: 500,
        externalURL: 'http://habitwatch.test:7878',
        extraLabels: { cluster: 'e2e' },
        retry: { initial: 100, max: 500 },
      },
    ]);
    const high = makeAlert({ rule: 'exec-writable-path', severity: 'high' });
    const crit = makeAlert({ rule: 'fileless-exec', severity: 'critical', ns: 'payments' });
    h.alerts.commit([isNew(high), isNew(crit)]);

    const got = await waitFor(async () => {
      const all = await amAlerts(am!);
      return all.length === 2 ? all : undefined;
    }, { what: 'two alerts in Alertmanager', timeoutMs: 20000 });
    const byId = new Map(got.map((a) => [a.labels.alert_id, a]));
    const a = byId.get(high.id)!;
    assert.ok(a, 'alert found by alert_id label');
    assert.deepEqual(
      { ...a.labels },
      {
        alertname: 'exec-writable-path',
        rule: 'exec-writable-path',
        severity: 'high',
        alert_id: high.id,
        kind: 'exec',
        namespace: 'shop',
        workload: 'Deployment/api',
        workload_id: 'shop/Deployment/api',
        container: 'app',
        pod: 'api-7d9f-abcde',
        node: 'test-node',
        mitre_technique: 'T1059.004',
        source: 'habitwatch',
        cluster: 'e2e',
      },
    );
    assert.equal(a.annotations.summary, high.summary);
    assert.ok(a.annotations.description.startsWith(high.description));
    assert.equal(a.status.state, 'active');
    assert.equal(Date.parse(a.startsAt), Date.parse(high.time));
    assert.equal(Date.parse(a.endsAt), Date.parse(high.lastSeen) + 600_000);
    assert.equal(a.generatorURL, `http://habitwatch.test:7878/v1/alerts/${encodeURIComponent(high.id)}`);
    assert.equal(byId.get(crit.id)?.labels.namespace, 'payments');
    assert.equal(byId.get(crit.id)?.labels.severity, 'critical');

    // a repeat moves endsAt forward (lastSeen + resolveAfter)
    const r = repeat(high);
    r.alert.lastSeen = new Date(Date.parse(high.time) + 60_000).toISOString();
    h.alerts.commit([r]);
    await waitFor(async () => {
      const x = (await amAlerts(am!)).find((y) => y.labels.alert_id === high.id);
      return x && Date.parse(x.endsAt) === Date.parse(r.alert.lastSeen) + 600_000 && x.annotations.count === '2';
    }, { what: 'endsAt extended by the repeat', timeoutMs: 20000 });

    // Alertmanager restarts with empty storage: our periodic re-send brings the firing alerts back
    await am.stop();
    am = await startAlertmanager();
    // same store and alerts, the new Alertmanager address
    await h.restart([
      { type: 'alertmanager', name: 'am', url: am.url, resolveAfter: '10m', resendInterval: 500, retry: { initial: 100, max: 500 } },
    ]);
    await waitFor(async () => (await amAlerts(am!)).length === 2, { what: 're-sent alerts after Alertmanager lost them', timeoutMs: 20000 });
  });

  it('the running agent sends the alerts it raises to Alertmanager', async function () {
    requireComponent(this, have(ALERTMANAGER), `${ALERTMANAGER} (Debian package prometheus-alertmanager)`);
    requireComponent(this, agentAvailable(), `the agent (${AGENT_BIN})`);
    const dir = mkdtempSync(join(tmpdir(), 'hw-e2e-am-'));
    let agent: AgentProcess | undefined;
    try {
      am = await startAlertmanager();
      const { config, events } = writeAgentConfig(dir, [{ type: 'alertmanager', name: 'am', url: am.url, retry: { initial: 100, max: 1000 } }]);
      agent = await startAgent(config);
      await waitForDeliveryStarted(agent);
      appendEvents(events, [evilExec(1, { ns: 'shop' }), evilExec(2, { ns: 'payments' })]);
      const got = await waitFor(async () => {
        const all = await amAlerts(am!);
        return all.length === 2 ? all : undefined;
      }, { what: 'the agent\'s two alerts in Alertmanager', timeoutMs: 30000 });
      const byNs = new Map(got.map((a) => [a.labels.namespace, a]));
      for (const [ns, i] of [['shop', 1], ['payments', 2]] as const) {
        const a = byNs.get(ns);
        assert.ok(a, `alert for namespace ${ns}`);
        assert.equal(a.labels.workload, `Deployment/app-${i}`);
        assert.equal(a.labels.container, 'main');
        assert.equal(a.labels.node, 'test-node');
        assert.equal(a.labels.source, 'habitwatch');
        assert.ok(a.labels.alertname && a.labels.rule === a.labels.alertname && a.labels.alert_id);
        assert.ok(['high', 'critical'].includes(a.labels.severity), a.labels.severity);
        assert.ok(a.annotations.summary.length > 0);
        assert.ok(Date.parse(a.endsAt) > Date.now(), 'still firing');
      }
    } finally {
      await agent?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
