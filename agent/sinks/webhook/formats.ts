// Payload shapes for SIEMs: CloudEvents 1.0 (structured JSON mode) and an OCSF
// Detection Finding (class 2004). Field facts: cloudevents.io spec v1.0, schema.ocsf.io.
import type { Alert, Severity } from '../../../models/alert.ts';
import type { Delivery } from '../types.ts';

export const CLOUDEVENT_TYPE = 'io.habitwatch.alert.v1';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** extension attribute (lowercase alphanumerics): same for every delivery of one alert */
  idempotencykey: string;
  /** extension: alert count at delivery */
  revision: number;
  data: Alert;
}

/**
 * id = alert id + revision: a redelivery of the same revision is the same event
 * (CloudEvents dedup by source+id); a repeat with a higher count is a new event
 * about the same alert, which `idempotencykey` ties together.
 */
export function toCloudEvent(d: Delivery, sourceName: string): CloudEvent {
  return {
    specversion: '1.0',
    id: `${d.alert.id}-${d.revision}`,
    source: `${sourceName}/${d.alert.workload.node}`,
    type: CLOUDEVENT_TYPE,
    subject: d.alert.workload.id,
    time: d.alert.lastSeen,
    datacontenttype: 'application/json',
    idempotencykey: d.idempotencyKey,
    revision: d.revision,
    data: d.alert,
  };
}

const OCSF_SEVERITY: Record<Severity, [number, string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

/** the fields every OCSF 1.1 finding habitwatch sends shares (category 2 Findings) */
export function ocsfFinding(o: { classUid: number; className: string; update: boolean; severity: Severity; last: number; key: string; sourceName: string; revision: number; profiles?: string[] }): Record<string, unknown> {
  const [severityId, severity] = OCSF_SEVERITY[o.severity];
  const activityId = o.update ? 2 : 1; // 1 Create, 2 Update
  return {
    category_uid: 2,
    category_name: 'Findings',
    class_uid: o.classUid,
    class_name: o.className,
    activity_id: activityId,
    activity_name: o.update ? 'Update' : 'Create',
    type_uid: o.classUid * 100 + activityId,
    severity_id: severityId,
    severity,
    status_id: 1,
    status: 'New',
    time: o.last,
    metadata: {
      version: '1.1.0',
      uid: o.key,
      product: { name: o.sourceName, vendor_name: 'habitwatch' },
      ...(o.profiles ? { profiles: o.profiles } : {}),
      labels: [`revision:${o.revision}`],
    },
  };
}

/** OCSF 1.1 Detection Finding (category 2 Findings, class 2004) */
export function toOcsf(d: Delivery, sourceName: string): Record<string, unknown> {
  const a = d.alert;
  const first = Date.parse(a.time);
  const last = Date.parse(a.lastSeen);
  return {
    ...ocsfFinding({ classUid: 2004, className: 'Detection Finding', update: d.update, severity: a.severity, last, key: d.idempotencyKey, sourceName, revision: d.revision }),
    message: a.summary,
    count: a.count,
    finding_info: {
      uid: a.id,
      title: a.summary,
      desc: a.description,
      types: [a.kind],
      created_time: first,
      first_seen_time: first,
      last_seen_time: last,
      analytic: { uid: a.rule, name: a.rule, type_id: 1, type: 'Rule' },
      attacks: a.mitre?.technique
        ? [{ technique: { uid: a.mitre.technique, name: a.mitre.name }, tactic: { name: a.mitre.tactic }, version: '14' }]
        : [],
    },
    device: { hostname: a.workload.node, type_id: 0, type: 'Unknown' },
    resources: [
      {
        uid: a.workload.id,
        name: a.workload.name,
        type: a.workload.kind,
        namespace: a.workload.namespace,
        labels: [a.workload.container ? `container:${a.workload.container}` : '', a.workload.pod ? `pod:${a.workload.pod}` : '', a.workload.image ? `image:${a.workload.image}` : ''].filter(Boolean),
      },
    ],
    evidences: [
      {
        process: {
          pid: a.process.pid,
          name: a.process.exe.split('/').pop(),
          cmd_line: a.process.args.join(' '),
          file: { path: a.process.exe, name: a.process.exe.split('/').pop() },
          user: a.process.uid === null ? undefined : { uid: String(a.process.uid) },
          parent_process: a.process.ancestors[0] ? { name: a.process.ancestors[0].exe.split('/').pop(), file: { path: a.process.ancestors[0].exe } } : undefined,
        },
        ...(a.evidence.path ? { file: { path: a.evidence.path, name: a.evidence.path.split('/').pop() } } : {}),
        ...(a.evidence.dstAddr ? { dst_endpoint: { ip: a.evidence.dstAddr, port: a.evidence.dstPort, hostname: a.evidence.dns } } : {}),
        ...(a.evidence.port !== undefined && !a.evidence.dstAddr ? { src_endpoint: { ip: a.evidence.addr, port: a.evidence.port } } : {}),
      },
    ],
    unmapped: { habitwatch: { baseline: a.baseline, evidence: a.evidence, dedupKey: a.dedupKey, revision: d.revision } },
  };
}
