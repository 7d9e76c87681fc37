// Incident payloads for the webhook (sinks with `deliver: incidents`): native, a
// CloudEvents 1.0 event, an OCSF 1.1 Incident Finding (class 2005). Field facts:
// cloudevents.io spec v1.0, schema.ocsf.io.
import type { IncidentDelivery } from '../types.ts';
import { ocsfFinding } from './formats.ts';

export const INCIDENT_CLOUDEVENT_TYPE = 'io.habitwatch.incident.v1';

/** id = incident id + revision, as for alerts: a redelivery is the same event, growth a new one */
export function incidentCloudEvent(d: IncidentDelivery, sourceName: string): Record<string, unknown> {
  const i = d.incident;
  return {
    specversion: '1.0',
    id: `${i.id}-${d.revision}`,
    source: `${sourceName}/${i.workload.node}`,
    type: INCIDENT_CLOUDEVENT_TYPE,
    subject: i.workload.id,
    time: i.lastSeen,
    datacontenttype: 'application/json',
    idempotencykey: d.idempotencyKey,
    revision: d.revision,
    data: i,
  };
}

/** OCSF 1.1 Incident Finding (category 2 Findings, class 2005): one finding_info per alert */
export function incidentOcsf(d: IncidentDelivery, sourceName: string): Record<string, unknown> {
  const i = d.incident;
  const first = Date.parse(i.time);
  const last = Date.parse(i.lastSeen);
  return {
    ...ocsfFinding({ classUid: 2005, className: 'Incident Finding', update: d.update, severity: i.severity, last, key: d.idempotencyKey, sourceName, revision: d.revision, profiles: ['incident'] }),
    start_time: first,
    end_time: last,
    count: i.count,
    message: i.summary,
    desc: i.summary,
    attacks: i.mitre.map((m) => ({ technique: { uid: m.technique, name: m.name }, tactic: { name: m.tactic }, version: '14' })),
    finding_info_list: i.timeline.map((e) => ({
      uid: e.alert,
      title: e.summary,
      types: [e.kind],
      first_seen_time: Date.parse(e.time),
      last_seen_time: Date.parse(e.lastSeen),
      analytic: { uid: e.rule, name: e.rule, type_id: 1, type: 'Rule' },
    })),
    device: { hostname: i.workload.node, type_id: 0, type: 'Unknown' },
    resources: [{ uid: i.workload.id, name: i.workload.name, type: i.workload.kind, namespace: i.workload.namespace }],
    unmapped: { habitwatch: { incident: i.id, scope: i.scope, rules: i.rules, alerts: i.alerts, truncated: i.truncated, revision: d.revision } },
  };
}
