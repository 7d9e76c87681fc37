// The Incident type: alerts that belong to one attack, grouped (models/incidents.ts).
// What pages a human. Schema: docs/alert-schema.md#incidents and docs/incident.schema.json.
import type { Alert, AlertWorkload, Mitre, Severity } from './alert.ts';

/** one alert of an incident, as its timeline shows it: the alert's first and latest
 * occurrence, rule, severity, kind, summary and count, its technique, and the process
 * that raised it with its parent (the incident's process tree) */
export interface IncidentEntry extends Pick<Alert, 'time' | 'lastSeen' | 'rule' | 'severity' | 'kind' | 'summary' | 'count'> {
  /** the alert's id */
  alert: string;
  technique: string;
  pid: number;
  ppid: number | null;
  exe: string;
}

export interface Incident {
  id: string;
  /** ISO 8601: the first alert's time, and the latest occurrence of any of its alerts */
  time: string;
  lastSeen: string;
  /** the highest severity of its alerts */
  severity: Severity;
  /** one line: the most severe alert, and how many more */
  summary: string;
  /** the grouping key: node, workload, pod and container (as `incidents.groupBy` says) */
  scope: string;
  /** where it started: the first alert's workload */
  workload: AlertWorkload;
  /** ATT&CK techniques of its alerts, distinct, in order of first appearance */
  mitre: Mitre[];
  /** rule ids of its alerts, distinct, in order of first appearance */
  rules: string[];
  /** distinct alerts, and their occurrences in all */
  alerts: number;
  count: number;
  /** its alerts in order (at most `incidents.maxTimeline`; `truncated` says how many more) */
  timeline: IncidentEntry[];
  truncated: number;
}

/** why an incident changed: `opened` and `escalated` page; the others update */
export type IncidentChange = 'opened' | 'escalated' | 'grew' | 'repeat';

export interface IncidentUpdate {
  incident: Incident;
  isNew: boolean;
  change: IncidentChange;
  /** the severity before it escalated (set when change is `escalated`) */
  previous?: Severity;
}
