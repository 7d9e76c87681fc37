// The agent's alerts about itself (models/agent-alert.ts): raised here, committed
// through the normal alert store (so they reach the outbox and every sink), folded
// per condition inside the cooldown window like any alert. When the store itself is
// what fails, a self-alert waits in memory (one per condition: bounded) and is
// committed as soon as the store answers; it reaches the live stream and the log at
// once, and the `habitwatch_agent_condition` gauge says which conditions hold now.
import type { Logger } from '../collector/log.ts';
import { agentAlert, type AgentCondition, type AgentIdentity } from '../models/agent-alert.ts';
import type { Alert, AlertUpdate } from '../models/alert.ts';
import type { Bus } from './bus.ts';
import type { Metrics } from './metrics.ts';

export interface SelfAlertDeps {
  who: AgentIdentity;
  now: () => number;
  /** repeats of a condition inside this window fold into its open alert */
  cooldownMs: number;
  /** counted occurrences (note()) are reported at most this often (default 10 s) */
  reportIntervalMs?: number;
  log: Logger;
  /** the normal alert commit (store + outbox); throws when the store fails */
  commit?: (updates: AlertUpdate[]) => void;
  bus?: Bus;
  metrics?: Metrics;
}

/** the identity of this process, for its self-alerts */
export function thisAgent(node: string): AgentIdentity {
  return {
    node,
    pid: process.pid,
    ppid: process.ppid,
    exe: process.execPath,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    cwd: process.cwd(),
  };
}

export class SelfAlerts {
  private open = new Map<AgentCondition, { alert: Alert; last: number }>();
  /** committed not yet: by alert id */
  private pending = new Map<string, AlertUpdate>();
  private active = new Map<AgentCondition, string>();
  /** noted since the last report: condition → what → how many */
  private noted = new Map<AgentCondition, Map<string, number>>();
  private lastReport = new Map<AgentCondition, number>();

  constructor(private deps: SelfAlertDeps) {}

  /**
   * Count n occurrences of something deliberately dropped (e.g. `sink siem: overflow`).
   * Safe to call anywhere, even inside a store transaction: the alert is raised later,
   * by tick(), at most once per report interval per condition with everything counted.
   */
  note(condition: AgentCondition, what: string, n: number): void {
    if (n <= 0) return;
    let m = this.noted.get(condition);
    if (!m) this.noted.set(condition, (m = new Map()));
    m.set(what, (m.get(what) ?? 0) + n);
  }

  /** periodic: report what was noted (rate-limited), commit what waits */
  tick(): void {
    const now = this.deps.now();
    const every = this.deps.reportIntervalMs ?? 10_000;
    for (const [condition, m] of this.noted) {
      if (now - (this.lastReport.get(condition) ?? -Infinity) < every) continue;
      this.noted.delete(condition);
      this.lastReport.set(condition, now);
      this.raise(condition, [...m].map(([what, n]) => `${what}: ${n}`).join('; '));
    }
    this.flush();
  }

  /** One occurrence of a condition: a new alert, or a repeat folded into the open one. */
  raise(condition: AgentCondition, detail: string): Alert {
    const now = this.deps.now();
    const open = this.open.get(condition);
    let u: AlertUpdate;
    if (open !== undefined && now - open.last < this.deps.cooldownMs) {
      const a = open.alert;
      a.count++;
      open.last = Math.max(open.last, now);
      a.lastSeen = new Date(open.last).toISOString();
      a.evidence.detail = detail;
      u = { alert: a, isNew: false };
    } else {
      const a = agentAlert(condition, detail, this.deps.who, now);
      this.open.set(condition, { alert: a, last: now });
      u = { alert: a, isNew: true };
    }
    const prev = this.pending.get(u.alert.id);
    this.pending.set(u.alert.id, prev ? { alert: u.alert, isNew: prev.isNew || u.isNew } : u);
    const m = this.deps.metrics;
    if (u.isNew) m?.alerts.inc({ rule: u.alert.rule, severity: u.alert.severity, namespace: '' });
    else m?.alertRepeats.inc({ rule: u.alert.rule });
    this.deps.log.warn('self-alert', { rule: u.alert.rule, detail, count: u.alert.count });
    this.deps.bus?.emit('alert', u);
    this.flush();
    return u.alert;
  }

  /**
   * A condition that holds for a while (storage failing): alerts when it starts, and
   * the gauge shows it until it ends. Returns true when the state changed.
   */
  set(condition: AgentCondition, on: boolean, detail: string): boolean {
    const was = this.active.has(condition);
    if (on) this.active.set(condition, detail);
    else this.active.delete(condition);
    this.deps.metrics?.agentCondition.set({ condition }, on ? 1 : 0);
    if (on && !was) this.raise(condition, detail);
    return on !== was;
  }

  /** conditions that hold now, with their detail */
  conditions(): Map<AgentCondition, string> {
    return new Map(this.active);
  }

  /** Commit what waits. True when nothing is left (or nowhere to commit it). */
  flush(): boolean {
    if (this.pending.size === 0 || this.deps.commit === undefined) return true;
    const updates = [...this.pending.values()];
    try {
      this.deps.commit(updates);
    } catch {
      return false; // the store is failing: the caller's health tracking says so; try again later
    }
    for (const u of updates) if (this.pending.get(u.alert.id) === u) this.pending.delete(u.alert.id);
    return this.pending.size === 0;
  }

  /** self-alerts raised but not stored yet */
  get waiting(): number {
    return this.pending.size;
  }
}
