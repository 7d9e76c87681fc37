// Alertmanager: POST /api/v2/alerts. Every habitwatch alert is one Alertmanager alert
// (alert_id label keeps them apart); it fires until lastSeen + resolveAfter and is
// re-sent on repeats and every resendInterval while firing, as Alertmanager expects
// of its clients (it resolves alerts it stops hearing about).
import type { Alert } from '../../../models/alert.ts';
import { defineSink, parseDuration, type Delivery } from '../types.ts';
import { checkResponse, createHttpClient } from '../http.ts';
import { alertmanagerDefaults, alertmanagerSchema, type AlertmanagerConfig } from './config.ts';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** Alertmanager label names: [a-zA-Z_][a-zA-Z0-9_]*; empty values are dropped */
function labels(a: Alert, extra: Record<string, string>): Record<string, string> {
  const l: Record<string, string> = {
    ...extra,
    alertname: a.rule,
    rule: a.rule,
    severity: a.severity,
    alert_id: a.id,
    kind: a.kind,
    namespace: a.workload.namespace ?? '',
    workload: `${a.workload.kind}/${a.workload.name}`,
    workload_id: a.workload.id,
    container: a.workload.container ?? '',
    pod: a.workload.pod ?? '',
    node: a.workload.node,
    mitre_technique: a.mitre?.technique ?? '',
    source: 'habitwatch',
  };
  for (const k of Object.keys(l)) if (l[k] === '') delete l[k];
  return l;
}

export function toAmAlert(d: Delivery, c: Pick<AlertmanagerConfig, 'resolveAfter' | 'externalURL' | 'extraLabels'>): AmAlert {
  const a = d.alert;
  const resolveMs = parseDuration(c.resolveAfter, 15 * 60_000);
  const exp = a.baseline?.expected?.length ? `\nExpected one of: ${a.baseline.expected.slice(0, 5).join(', ')}` : '';
  return {
    labels: labels(a, c.extraLabels ?? {}),
    annotations: {
      summary: a.summary,
      description: `${a.description}${exp}`,
      process: [a.process.exe, ...a.process.args.slice(1)].join(' ').slice(0, 1000),
      count: String(a.count),
      ...(a.mitre?.technique ? { mitre: `${a.mitre.technique} ${a.mitre.name} (${a.mitre.tactic})` } : {}),
      ...(a.workload.image ? { image: a.workload.image } : {}),
    },
    startsAt: a.time,
    endsAt: new Date(Date.parse(a.lastSeen) + resolveMs).toISOString(),
    generatorURL: `${c.externalURL.replace(/\/+$/, '')}/v1/alerts/${encodeURIComponent(a.id)}`,
  };
}

export default defineSink<AlertmanagerConfig>({
  type: 'alertmanager',
  description: 'Alertmanager API v2 (POST /api/v2/alerts), re-sent while firing',
  configSchema: alertmanagerSchema,
  defaults: alertmanagerDefaults,
  defaultBatchSize: 200,
  wantsUpdates: () => true,
  resend: (c) => ({ intervalMs: parseDuration(c.resendInterval, 60_000), windowMs: parseDuration(c.resolveAfter, 15 * 60_000) }),
  create(c, ctx) {
    const endpoint = `${c.url.replace(/\/+$/, '')}/api/v2/alerts`;
    const http = createHttpClient({ ...c, url: endpoint });
    return {
      async send(batch, signal) {
        const body = JSON.stringify(batch.map((d) => toAmAlert(d, c)));
        checkResponse(await http.post(body, { 'Content-Type': 'application/json' }, ctx.timeoutMs, signal), ctx.now());
      },
      close: () => http.close(),
    };
  },
});
