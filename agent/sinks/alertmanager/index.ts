// Alertmanager: POST /api/v2/alerts. Every habitwatch alert is one Alertmanager alert
// (alert_id label keeps them apart); it fires until lastSeen + resolveAfter and is
// re-sent on repeats and every resendInterval while firing, as Alertmanager expects
// of its clients (it resolves alerts it stops hearing about).
import type { Alert, AlertWorkload } from '../../../models/alert.ts';
import { defineSink, parseDuration, type Delivery, type IncidentDelivery } from '../types.ts';
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
    ...workloadLabels(a.workload),
    mitre_technique: a.mitre?.technique ?? '',
    source: 'habitwatch',
  };
  return withoutEmpty(l);
}

function workloadLabels(w: AlertWorkload): Record<string, string> {
  return { namespace: w.namespace ?? '', workload: `${w.kind}/${w.name}`, workload_id: w.id, container: w.container ?? '', pod: w.pod ?? '', node: w.node };
}

/** Alertmanager treats an empty label as absent: leave it out */
function withoutEmpty(l: Record<string, string>): Record<string, string> {
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

/**
 * One Alertmanager alert per incident (`deliver: incidents`): alertname
 * HabitwatchIncident, the incident's severity and ATT&CK techniques as labels, its
 * timeline in the description; it fires until lastSeen + resolveAfter.
 */
export function toAmIncident(d: IncidentDelivery, c: Pick<AlertmanagerConfig, 'resolveAfter' | 'externalURL' | 'extraLabels'>): AmAlert {
  const i = d.incident;
  const resolveMs = parseDuration(c.resolveAfter, 15 * 60_000);
  const l: Record<string, string> = {
    ...(c.extraLabels ?? {}),
    alertname: 'HabitwatchIncident',
    severity: i.severity,
    incident_id: i.id,
    ...workloadLabels(i.workload),
    mitre_techniques: i.mitre.map((m) => m.technique).join(','),
    rules: i.rules.join(','),
    source: 'habitwatch',
  };
  const timeline = i.timeline.map((e) => `${e.time} ${e.severity} ${e.rule} [${e.technique}] ${e.summary}${e.count > 1 ? ` ×${e.count}` : ''}`);
  if (i.truncated > 0) timeline.push(`… and ${i.truncated} more alert(s)`);
  return {
    labels: withoutEmpty(l),
    annotations: {
      summary: i.summary,
      description: timeline.join('\n').slice(0, 8000),
      alerts: String(i.alerts),
      count: String(i.count),
      mitre: i.mitre.map((m) => `${m.technique} ${m.name} (${m.tactic})`).join('; '),
      ...(i.workload.image ? { image: i.workload.image } : {}),
    },
    startsAt: i.time,
    endsAt: new Date(Date.parse(i.lastSeen) + resolveMs).toISOString(),
    generatorURL: `${c.externalURL.replace(/\/+$/, '')}/v1/incidents/${encodeURIComponent(i.id)}`,
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
      async sendIncidents(batch, signal) {
        const body = JSON.stringify(batch.map((d) => toAmIncident(d, c)));
        checkResponse(await http.post(body, { 'Content-Type': 'application/json' }, ctx.timeoutMs, signal), ctx.now());
      },
      close: () => http.close(),
    };
  },
});
