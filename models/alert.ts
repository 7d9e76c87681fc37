// The Alert type: what leaves habitwatch. Schema: docs/alert-schema.md and
// docs/alert.schema.json (every emitted alert is validated against it in tests).
import type { Ancestor, EventKind, FileOp, Proto } from '../collector/event.ts';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export type BaselineState = 'learning' | 'stable' | 'unstable' | 'relearning' | 'locked';

export interface Mitre {
  /** ATT&CK technique id, e.g. T1059.004 */
  technique: string;
  name: string;
  tactic: string;
}

export interface AlertWorkload {
  id: string;
  namespace: string | null;
  kind: string;
  name: string;
  container: string | null;
  pod: string | null;
  node: string;
  image: string | null;
}

export interface AlertProcess {
  pid: number;
  ppid: number | null;
  exe: string;
  args: string[];
  uid: number | null;
  cwd: string | null;
  /** nearest parent first, as far as known */
  ancestors: Ancestor[];
}

/** What was observed, by kind. Only the fields of the alert's kind are set. */
export interface Evidence {
  exe?: string;
  args?: string[];
  parentExe?: string;
  path?: string;
  op?: FileOp;
  proto?: Proto;
  addr?: string;
  port?: number;
  dstAddr?: string;
  dstPort?: number;
  dns?: string;
  /** connect: the destination's Kubernetes identity (svc:namespace/name, or a workload id); listen: `pod` */
  peer?: string;
  syscalls?: string[];
  /** chmod: the mode set, four octal digits (e.g. 4755) */
  mode?: string;
  /** the generalised baseline item this event maps to */
  item?: string;
  /**
   * A fan-out finding (one process doing one new thing to many targets: a port scan,
   * a recon burst, a batch of new syscalls) is one alert: the distinct items it covers,
   * first first, at most `detection.fanOutMaxItems` of them…
   */
  items?: string[];
  /** …how many distinct items it covers in all (items may be cut short)… */
  distinct?: number;
  /** …for connect/listen, the ports as ranges ("1-1024,8080")… */
  ports?: string;
  /** …and the addresses (bounded like items) */
  addresses?: string[];
  /** a self-alert (kind `agent`): the agent condition, e.g. `storage-failing` … */
  condition?: string;
  /** …and what the agent knows about it (the error, how many were dropped) */
  detail?: string;
}

/** an alert's kind: the event kind, or `agent` for the agent's alerts about itself (models/agent-alert.ts) */
export type AlertKind = EventKind | 'agent';

export interface AlertBaseline {
  state: BaselineState;
  version: number;
  /** items of this kind learned so far */
  items: number;
  /** the closest known items of the same kind: "expected one of …" */
  expected: string[];
}

export interface Alert {
  id: string;
  /** ISO 8601, time of the first occurrence */
  time: string;
  /** ISO 8601, time of the latest occurrence folded into this alert */
  lastSeen: string;
  rule: string;
  severity: Severity;
  kind: AlertKind;
  summary: string;
  /** longer explanation: why this is unusual, what was expected */
  description: string;
  source: string;
  workload: AlertWorkload;
  process: AlertProcess;
  evidence: Evidence;
  baseline: AlertBaseline;
  mitre: Mitre;
  dedupKey: string;
  /** occurrences folded into this alert within the cooldown window */
  count: number;
  /** id of the incident the alert belongs to (absent when incident grouping is off) */
  incident?: string;
}

/** What the engine emits: a new alert, or an existing one whose count grew. */
export interface AlertUpdate {
  alert: Alert;
  isNew: boolean;
  /** a distinct target folded into an open fan-out finding (not a plain repeat) */
  folded?: boolean;
}

/** Several updates of one alert within a batch become one (the latest; new if any was). */
export function coalesce(updates: AlertUpdate[]): AlertUpdate[] {
  if (updates.length < 2) return updates;
  const byId = new Map<string, AlertUpdate>();
  for (const u of updates) {
    const prev = byId.get(u.alert.id);
    byId.set(u.alert.id, prev ? { alert: u.alert, isNew: prev.isNew || u.isNew, ...(prev.folded || u.folded ? { folded: true } : {}) } : u);
  }
  return [...byId.values()];
}
