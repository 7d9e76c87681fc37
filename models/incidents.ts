// Incident grouping: the alerts of one attack become one incident, with a timeline,
// its highest severity and its ATT&CK techniques. The incident, not each alert, is
// what pages a human.
//
// The grouping key. An attack happens in one place: an alert joins the open incident
// of its scope (node + workload + pod + container by default; `groupBy: pod` or
// `workload` for coarser incidents) when it comes within `window` of that incident's
// latest activity, and while the incident is younger than `maxDuration`. Splitting a
// scope further by process tree was considered and refused: every process of a
// container descends from its entry point, and an attack through the service (RCE)
// mixes the service's own process with the attacker's shells, so process-tree splits
// cut attacks in pieces. The process tree instead *joins* across scopes: an alert
// whose process descends from (or is) a process that raised an alert of an open
// incident belongs to that incident wherever it runs now (a process that moved to
// another cgroup, `systemd-run` from a compromised service). False merges (an
// unrelated alert in the same container within the window) cost a longer timeline;
// false splits cost extra pages — so the key leans to merging.
//
// Pure: time is an argument; state is bounded (open incidents, alerting processes).
import { severityRank, type Alert, type AlertUpdate, type Severity } from './alert.ts';
import type { Incident, IncidentChange, IncidentEntry, IncidentUpdate } from './incident.ts';
import { RecentMap } from './recent.ts';
import { contentId } from './ids.ts';

export const GROUP_BY = ['container', 'pod', 'workload'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface IncidentConfig {
  enabled: boolean;
  /** an alert joins an incident whose latest activity is at most this old */
  windowMs: number;
  /** an incident takes no new alerts once it is this old (a new one opens) */
  maxDurationMs: number;
  groupBy: GroupBy;
  /** join across scopes through the process tree (see above) */
  processTree: boolean;
  /** open incidents remembered; the least recently active are forgotten first */
  maxOpen: number;
  /** timeline entries kept per incident */
  maxTimeline: number;
}

export const DEFAULT_INCIDENTS: IncidentConfig = {
  enabled: true,
  windowMs: 10 * 60_000,
  maxDurationMs: 6 * 3_600_000,
  groupBy: 'container',
  processTree: true,
  maxOpen: 10_000,
  maxTimeline: 200,
};

/** incident changes kept between two drains (the pipeline drains every batch) */
const CHANGED_MAX = 65_536;

const CHANGE_RANK: Record<IncidentChange, number> = { repeat: 0, grew: 1, escalated: 2, opened: 3 };

interface Open {
  incident: Incident;
  /** epoch ms of time and lastSeen */
  start: number;
  last: number;
  /** timeline entry by alert id (entries beyond maxTimeline are not kept) */
  entries: Map<string, IncidentEntry>;
}

export function scopeOf(a: Pick<Alert, 'workload'>, groupBy: GroupBy): string {
  const w = a.workload;
  const parts = [w.node, w.id];
  if (groupBy !== 'workload') parts.push(w.pod ?? '');
  if (groupBy === 'container') parts.push(w.container ?? '');
  return parts.join('|');
}

export class IncidentGrouper {
  private byId: RecentMap<string, Open>;
  /** scope → id of its current incident */
  private byScope = new Map<string, string>();
  /** pid of an alerting process → its exe and incident id (process-tree joins) */
  private byPid: RecentMap<number, { exe: string; id: string }>;
  private changed = new Map<string, IncidentUpdate>();
  /** open incidents forgotten because of maxOpen while still inside their window */
  evicted = 0;

  constructor(readonly cfg: IncidentConfig) {
    this.byId = new RecentMap(cfg.maxOpen);
    this.byPid = new RecentMap(cfg.maxOpen * 4);
  }

  /** open incidents remembered */
  get size(): number {
    return this.byId.size;
  }

  /** restore incidents still open after a restart, oldest first */
  restore(incidents: Incident[]): void {
    for (const inc of incidents) {
      const o: Open = { incident: inc, start: Date.parse(inc.time), last: Date.parse(inc.lastSeen), entries: new Map(inc.timeline.map((e) => [e.alert, e])) };
      this.byId.set(inc.id, o);
      this.byScope.set(inc.scope, inc.id);
    }
    this.trim();
  }

  /**
   * Place an alert update in its incident (setting `alert.incident`) and note the
   * incident's change for the next drain(). A repeat of an alert whose incident is no
   * longer open changes nothing.
   */
  add(u: AlertUpdate, now: number): Incident | undefined {
    const a = u.alert;
    if (!u.isNew) {
      const o = a.incident !== undefined ? this.byId.get(a.incident) : undefined;
      if (o === undefined) return undefined;
      const e = o.entries.get(a.id);
      if (e !== undefined) {
        e.count = a.count;
        e.lastSeen = a.lastSeen;
        e.summary = a.summary;
        e.severity = a.severity;
      }
      this.touch(o, a, now, u.folded === true ? 'grew' : 'repeat');
      o.incident.count++;
      return o.incident;
    }
    const scope = scopeOf(a, this.cfg.groupBy);
    let o = this.linked(a, now) ?? this.openOf(scope, now);
    if (o === undefined) {
      o = this.open(a, scope, now);
      this.note(o, 'opened');
    } else {
      this.join(o, a, now);
    }
    if (this.cfg.processTree && a.process.pid > 0) this.byPid.set(a.process.pid, { exe: a.process.exe, id: o.incident.id });
    this.trim();
    a.incident = o.incident.id;
    return o.incident;
  }

  /** incidents changed since the last drain, each once with its strongest change */
  drain(): IncidentUpdate[] {
    if (this.changed.size === 0) return [];
    const out = [...this.changed.values()];
    this.changed.clear();
    return out;
  }

  private isOpen(o: Open, now: number): boolean {
    return now - o.last < this.cfg.windowMs && now - o.start < this.cfg.maxDurationMs;
  }

  private openOf(scope: string, now: number): Open | undefined {
    const id = this.byScope.get(scope);
    const o = id !== undefined ? this.byId.get(id) : undefined;
    return o !== undefined && this.isOpen(o, now) ? o : undefined;
  }

  /** an open incident one of whose alerting processes is this alert's process or an ancestor */
  private linked(a: Alert, now: number): Open | undefined {
    if (!this.cfg.processTree) return undefined;
    const p = a.process;
    const chain = [{ pid: p.pid, exe: p.exe }, ...p.ancestors];
    for (const anc of chain) {
      if (anc.pid === undefined || anc.pid <= 0) continue;
      const hit = this.byPid.peek(anc.pid);
      if (hit === undefined || hit.exe !== anc.exe) continue;
      const o = this.byId.get(hit.id);
      if (o !== undefined && this.isOpen(o, now)) return o;
    }
    return undefined;
  }

  private open(a: Alert, scope: string, now: number): Open {
    const entry = entryOf(a);
    const incident: Incident = {
      id: incidentId(scope, a.id),
      time: a.time,
      lastSeen: a.lastSeen,
      severity: a.severity,
      summary: '',
      scope,
      workload: { ...a.workload },
      mitre: [{ ...a.mitre }],
      rules: [a.rule],
      alerts: 1,
      count: 1,
      timeline: [entry],
      truncated: 0,
    };
    const o: Open = { incident, start: now, last: now, entries: new Map([[a.id, entry]]) };
    incident.summary = summarize(o);
    const prev = this.byScope.get(scope);
    if (prev !== undefined) this.byId.delete(prev); // closed: the new one replaces it
    this.byId.set(incident.id, o);
    this.byScope.set(scope, incident.id);
    return o;
  }

  private join(o: Open, a: Alert, now: number): void {
    const inc = o.incident;
    inc.alerts++;
    inc.count++;
    if (!inc.rules.includes(a.rule)) inc.rules.push(a.rule);
    if (!inc.mitre.some((m) => m.technique === a.mitre.technique)) inc.mitre.push({ ...a.mitre });
    if (inc.timeline.length < this.cfg.maxTimeline) {
      const e = entryOf(a);
      inc.timeline.push(e);
      o.entries.set(a.id, e);
    } else inc.truncated++;
    this.touch(o, a, now, 'grew');
  }

  /** an alert of the incident happened at `now`: activity, severity, summary */
  private touch(o: Open, a: Alert, now: number, change: IncidentChange): void {
    const inc = o.incident;
    if (now > o.last) o.last = now;
    if (a.lastSeen > inc.lastSeen) inc.lastSeen = a.lastSeen;
    let previous: Severity | undefined;
    if (severityRank(a.severity) > severityRank(inc.severity)) {
      previous = inc.severity;
      inc.severity = a.severity;
      change = 'escalated';
    }
    if (change !== 'repeat') inc.summary = summarize(o);
    this.note(o, change, previous);
  }

  private note(o: Open, change: IncidentChange, previous?: Severity): void {
    const inc = o.incident;
    const prev = this.changed.get(inc.id);
    if (prev === undefined) {
      this.changed.set(inc.id, { incident: inc, isNew: change === 'opened', change, ...(previous !== undefined ? { previous } : {}) });
      // bounded for callers that never drain (benchmarks): the oldest change is dropped
      if (this.changed.size > CHANGED_MAX) this.changed.delete(this.changed.keys().next().value!);
    } else if (CHANGE_RANK[change] > CHANGE_RANK[prev.change]) {
      prev.change = change;
      // escalated twice between drains: the severity before the first
      if (previous !== undefined) prev.previous ??= previous;
    }
  }

  private trim(): void {
    if (this.byId.size <= this.byId.cap) return;
    this.evicted += this.byId.trim((id, o) => {
      if (this.byScope.get(o.incident.scope) === id) this.byScope.delete(o.incident.scope);
    });
    if (this.byPid.size > this.byPid.cap) this.byPid.trim();
  }
}

function entryOf(a: Alert): IncidentEntry {
  return {
    alert: a.id,
    time: a.time,
    lastSeen: a.lastSeen,
    rule: a.rule,
    severity: a.severity,
    kind: a.kind,
    summary: a.summary,
    technique: a.mitre.technique,
    count: a.count,
    pid: a.process.pid,
    ppid: a.process.ppid,
    exe: a.process.exe,
  };
}

/** the first of the most severe alerts, how many more and of which rules, and where */
function summarize(o: Open): string {
  const inc = o.incident;
  let head = inc.timeline[0];
  for (const e of inc.timeline) if (severityRank(e.severity) > severityRank(head.severity)) head = e;
  const others = inc.rules.filter((r) => r !== head.rule);
  const more = inc.alerts > 1 ? ` (+${inc.alerts - 1} more alert${inc.alerts > 2 ? 's' : ''}${others.length > 0 ? `: ${others.join(', ')}` : ''})` : '';
  const w = inc.workload;
  return `${head.summary}${more} — ${w.namespace ? `${w.namespace}/` : ''}${w.kind}/${w.name}${w.container ? ` (${w.container})` : ''}`;
}

/** deterministic: the same scope and first alert → the same id */
function incidentId(scope: string, firstAlert: string): string {
  return contentId('incident', scope, firstAlert);
}
