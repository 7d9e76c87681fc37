// Scoring of a scenario run: per attack action, detected or not (an alert on the right
// workload within its window, of the right kind), how fast, how many alerts and
// incidents; per workload, its time to stable and the false-positive alerts and
// incidents once stable; and the headline figures. Pure: a SuiteResult in, a Score out.
import type { Alert } from '../../../models/alert.ts';
import type { SuiteResult } from './suite.ts';

/** an alert at most this long before its action's start still belongs to it (clock skew) */
const SKEW_MS = 500;

export interface ActionScore {
  id: string;
  technique: string;
  name: string;
  /** the workload (role) it ran in */
  role: string;
  entry: string;
  detected: boolean;
  /** first detecting alert after the action started (s) */
  latencyS: number | null;
  alerts: number;
  incidents: number;
  rules: string[];
  error?: string;
}

export interface WorkloadScore {
  role: string;
  workload: string;
  secondsToStable: number | null;
  /** judged time once stable, outside attack windows on it (h) */
  hours: number;
  falsePositives: number;
  falseIncidents: number;
  /** alerts while still learning (built-in rules run in every state) */
  learningAlerts: number;
  /** "rule: summary" of its false positives */
  examples: string[];
}

export interface Score {
  source: string;
  actions: ActionScore[];
  workloads: WorkloadScore[];
  benignMinutes: number;
  detection_rate: number;
  false_positives_per_workload_hour: number;
  alerts_per_attack_incident: number | null;
  /** the slowest workload's time from start to stable (null: one never became stable) */
  seconds_to_stable: number | null;
  /** the configured minimum learning time plus the quiet period: a workload whose behaviour settled while learning is stable by then */
  stable_by_seconds: number;
  /** every detected action's alerts are in exactly one incident */
  one_incident_per_action: boolean;
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

export function score(r: SuiteResult): Score {
  const end = Math.max(r.benign.end, ...r.actions.map((a) => a.end));
  const windows = r.actions.map((a, i) => ({ a, from: a.start - SKEW_MS, to: r.actions[i + 1]?.start ?? a.end }));
  const inWindow = (al: Alert): (typeof windows)[number] | undefined => {
    const t = Date.parse(al.time);
    return windows.find((w) => w.a.workloadId === al.workload.id && t >= w.from && t < w.to);
  };
  const byAction = new Map<(typeof windows)[number], Alert[]>();
  const rest: Alert[] = [];
  for (const al of r.alerts) {
    const w = inWindow(al);
    if (w) byAction.set(w, [...(byAction.get(w) ?? []), al]);
    else rest.push(al);
  }
  const actions: ActionScore[] = windows.map((w) => {
    const alerts = byAction.get(w) ?? [];
    const hits = alerts.filter((al) => w.a.attack.detects(al)).sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
    return {
      id: w.a.attack.id,
      technique: w.a.attack.technique,
      name: w.a.attack.name,
      role: w.a.attack.role,
      entry: w.a.attack.entry,
      detected: hits.length > 0,
      latencyS: hits.length > 0 ? round(Math.max(0, Date.parse(hits[0].time) - w.a.start) / 1000) : null,
      alerts: alerts.length,
      incidents: new Set(alerts.map((al) => al.incident ?? al.id)).size,
      rules: [...new Set(alerts.map((al) => al.rule))],
      ...(w.a.error ? { error: w.a.error } : {}),
    };
  });
  const firstAlertOf = new Map(r.incidents.map((i) => [i.id, i.timeline[0]?.alert]));
  const workloads: WorkloadScore[] = r.workloads.map((wl) => {
    const mine = rest.filter((al) => al.workload.id === wl.workloadId);
    const stable = wl.stableSince;
    const fps = stable === null ? [] : mine.filter((al) => Date.parse(al.time) >= stable);
    const attackMs = windows.filter((w) => w.a.workloadId === wl.workloadId).reduce((n, w) => n + (w.to - w.from), 0);
    const fpIds = new Set(fps.map((al) => al.id));
    return {
      role: wl.role,
      workload: wl.workloadId,
      secondsToStable: stable === null || wl.learningSince === null ? null : round((stable - wl.learningSince) / 1000, 1),
      hours: stable === null ? 0 : Math.max(0, end - stable - attackMs) / 3_600_000,
      falsePositives: fps.length,
      falseIncidents: r.incidents.filter((i) => fpIds.has(firstAlertOf.get(i.id) ?? '')).length,
      learningAlerts: mine.length - fps.length,
      examples: fps.slice(0, 5).map((al) => `${al.rule}: ${al.summary}`),
    };
  });
  const hours = workloads.reduce((n, w) => n + w.hours, 0);
  const fp = workloads.reduce((n, w) => n + w.falsePositives, 0);
  const detected = actions.filter((a) => a.detected);
  const stableTimes = workloads.map((w) => w.secondsToStable);
  return {
    source: r.source,
    actions,
    workloads: workloads.map((w) => ({ ...w, hours: round(w.hours, 3) })),
    benignMinutes: round((r.benign.end - r.benign.start) / 60_000, 1),
    detection_rate: actions.length === 0 ? 0 : round(detected.length / actions.length, 3),
    false_positives_per_workload_hour: hours === 0 ? 0 : round(fp / hours, 3),
    alerts_per_attack_incident: detected.length === 0 ? null : round(detected.reduce((n, a) => n + a.alerts, 0) / detected.reduce((n, a) => n + a.incidents, 0)),
    seconds_to_stable: stableTimes.includes(null) ? null : Math.max(...(stableTimes as number[])),
    stable_by_seconds: (r.minLearningMs + r.quietPeriodMs) / 1000,
    one_incident_per_action: detected.every((a) => a.incidents === 1),
  };
}

/** the tables for a terminal and docs/detection.md (Markdown) */
export function table(s: Score): string {
  const lines: string[] = [];
  lines.push(`source: ${s.source}; benign phase ${s.benignMinutes} min; ${s.workloads.length} workloads`);
  lines.push('');
  lines.push('| ATT&CK | action | workload (way in) | detected | latency s | alerts | incidents | rules |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const a of s.actions) {
    lines.push(`| ${a.technique} | ${a.id} | ${a.role} (${a.entry}) | ${a.detected ? 'yes' : '**no**'} | ${a.latencyS ?? '–'} | ${a.alerts} | ${a.incidents} | ${a.rules.join(', ') || '–'}${a.error ? ` (error: ${a.error.slice(0, 80)})` : ''} |`);
  }
  lines.push('');
  lines.push('| workload | id | stable after s | judged h | false-positive alerts | false-positive incidents | alerts while learning |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const w of s.workloads) lines.push(`| ${w.role} | ${w.workload} | ${w.secondsToStable ?? 'never'} | ${w.hours} | ${w.falsePositives} | ${w.falseIncidents} | ${w.learningAlerts} |`);
  lines.push('');
  lines.push(
    `detection_rate ${s.detection_rate} · false_positives_per_workload_hour ${s.false_positives_per_workload_hour} · alerts_per_attack_incident ${s.alerts_per_attack_incident ?? '–'} · seconds_to_stable ${s.seconds_to_stable ?? 'never'} (stable by ${s.stable_by_seconds}) · one incident per action: ${s.one_incident_per_action ? 'yes' : 'no'}`,
  );
  const fps = s.workloads.flatMap((w) => w.examples.map((e) => `- ${w.role}: ${e}`));
  if (fps.length > 0) lines.push('', 'false positives:', ...fps);
  return lines.join('\n');
}

/** the one-line JSON summary (`--json`, last line) */
export function summaryJson(s: Score): string {
  return JSON.stringify({
    source: s.source,
    detection_rate: s.detection_rate,
    false_positives_per_workload_hour: s.false_positives_per_workload_hour,
    alerts_per_attack_incident: s.alerts_per_attack_incident,
    seconds_to_stable: s.seconds_to_stable,
    stable_by_seconds: s.stable_by_seconds,
    one_incident_per_action: s.one_incident_per_action,
    benign_minutes: s.benignMinutes,
    missed: s.actions.filter((a) => !a.detected).map((a) => a.id),
    false_positives: s.workloads.reduce((n, w) => n + w.falsePositives, 0),
  });
}
