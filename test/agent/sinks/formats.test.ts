import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import { toAmAlert } from '../../../agent/sinks/alertmanager/index.ts';
import { renderSlack } from '../../../agent/sinks/slack/index.ts';
import { sinksConfigSchema, sinkTypes, resolveSinks } from '../../../agent/sinks/index.ts';
import { parseDuration, SinkConfigError } from '../../../agent/sinks/types.ts';
import { silentLogger } from '../../../collector/log.ts';
import { makeAlert } from './helpers.ts';

describe('sinks: payload shapes and config', () => {
  it('alertmanager: labels, annotations, endsAt = lastSeen + resolveAfter, generatorURL', () => {
    const a = makeAlert({ lastSeen: '2026-01-01T00:10:00.000Z', time: '2026-01-01T00:00:00.000Z' });
    const am = toAmAlert({ alert: a, idempotencyKey: a.id, revision: 1, update: false }, { resolveAfter: '5m', externalURL: 'http://hw.example:7878/', extraLabels: { cluster: 'c1' } });
    assert.deepEqual(
      { ...am.labels },
      {
        cluster: 'c1',
        alertname: 'exec-writable-path',
        rule: 'exec-writable-path',
        severity: 'high',
        alert_id: a.id,
        kind: 'exec',
        namespace: 'shop',
        workload: 'Deployment/api',
        workload_id: 'shop/Deployment/api',
        container: 'app',
        pod: 'api-7d9f-abcde',
        node: 'test-node',
        mitre_technique: 'T1059.004',
        source: 'habitwatch',
      },
    );
    for (const k of Object.keys(am.labels)) assert.match(k, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
    assert.equal(am.annotations.summary, a.summary);
    assert.match(am.annotations.description, /Expected one of: \/usr\/bin\/node/);
    assert.equal(am.startsAt, '2026-01-01T00:00:00.000Z');
    assert.equal(am.endsAt, '2026-01-01T00:15:00.000Z');
    assert.equal(am.generatorURL, `http://hw.example:7878/v1/alerts/${encodeURIComponent(a.id)}`);
    const noNs = toAmAlert({ alert: makeAlert({ ns: null }), idempotencyKey: 'x', revision: 1, update: false }, { resolveAfter: 1000, externalURL: 'http://x', extraLabels: {} });
    assert.equal(noNs.labels.namespace, undefined, 'empty label values are left out');
  });

  it('slack: one mrkdwn line per alert, escaped', () => {
    const a = makeAlert({ summary: 'exec of <b>&x</b>' });
    const m = renderSlack([{ alert: a, idempotencyKey: a.id, revision: 1, update: false }], { channel: '#sec' });
    assert.match(m.text, /:red_circle: \*HIGH\* `exec-writable-path` exec of &lt;b&gt;&amp;x&lt;\/b&gt; — shop\/Deployment\/api \(app\) on test-node \[T1059.004\]/);
    assert.equal(m.channel, '#sec');
    const two = renderSlack([a, a].map((x) => ({ alert: x, idempotencyKey: x.id, revision: 1, update: false })), {});
    assert.equal(two.text.split('\n').length, 3);
  });

  it('sinksConfigSchema validates the agent `sinks` key', () => {
    const ajv = new Ajv2020.default({ allErrors: true, strict: true });
    ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' }); // the config loader's message for a schema
    const validate = ajv.compile(sinksConfigSchema);
    const ok = [
      { type: 'webhook', name: 'siem', url: 'http://127.0.0.1:1/hook', hmacSecret: 'k', format: 'ocsf', minSeverity: 'high', retry: { initial: '1s', max: '30s' } },
      { type: 'alertmanager', name: 'am', url: 'http://127.0.0.1:9093', resolveAfter: '10m', namespaces: ['shop'] },
      { type: 'slack', name: 'chat', url: 'https://hooks.slack.example/x', rules: ['exec-writable-path'] },
    ];
    assert.ok(validate(ok), JSON.stringify(validate.errors));
    for (const bad of [
      [{ type: 'webhook', name: 'x' }],
      [{ type: 'webhook', name: 'x', url: 'ftp://x' }],
      [{ type: 'pager', name: 'x', url: 'http://x' }],
      [{ type: 'webhook', name: 'x', url: 'http://x', format: 'xml' }],
      [{ type: 'webhook', name: 'x', url: 'http://x', minSeverity: 'urgent' }],
      [{ type: 'slack', name: 'x', url: 'http://x', resolveAfter: '1m' }],
      [{ type: 'webhook', name: 'x', url: 'http://x', timeout: '10 parsecs' }],
      [{ type: 'webhook', name: 'x', url: 'http://x', rules: ['exec-from-writable-path'] }],
    ]) {
      assert.equal(validate(bad), false, JSON.stringify(bad));
    }
    assert.deepEqual(Object.keys(sinkTypes).sort(), ['alertmanager', 'slack', 'webhook']);
  });

  it('resolveSinks applies defaults and rejects duplicate names', () => {
    const [s] = resolveSinks([{ type: 'webhook', name: 'w', url: 'http://127.0.0.1:1' }], silentLogger, Date.now);
    assert.deepEqual([s.timeoutMs, s.retryInitialMs, s.retryMaxMs, s.maxQueue, s.batchSize, s.wantsUpdates], [10000, 1000, 30000, 10000, 100, false]);
    const [am] = resolveSinks([{ type: 'alertmanager', name: 'am', url: 'http://127.0.0.1:1' }], silentLogger, Date.now);
    assert.deepEqual(am.resend, { intervalMs: 60000, windowMs: 900000 });
    assert.ok(am.wantsUpdates);
    s.instance.close?.();
    am.instance.close?.();
    assert.throws(
      () => resolveSinks([{ type: 'slack', name: 'x', url: 'http://a' }, { type: 'slack', name: 'x', url: 'http://b' }], silentLogger, Date.now),
      SinkConfigError,
    );
    assert.throws(
      () => resolveSinks([{ type: 'slack', name: 'x', url: 'http://a', rules: ['exec-from-writable-path'] }], silentLogger, Date.now),
      /sink x: unknown rule id "exec-from-writable-path" \(did you mean "exec-writable-path"\?\)/,
    );
    assert.equal(parseDuration('1.5s', 0), 1500);
    assert.equal(parseDuration('2h', 0), 7_200_000);
    assert.throws(() => parseDuration('soon', 0), SinkConfigError);
  });
});
