// The detection engine: profile each event against its baseline, run the rules
// that care about its kind, and fold repeats inside the cooldown window into the
// open alert's count. Pure: time comes in as an argument; ids are content hashes.
import { contentId } from './ids.ts';
import type { EventKind, EventOf, RuntimeEvent } from '../collector/event.ts';
import { severityRank, type Alert, type AlertUpdate, type Evidence, type Severity } from './alert.ts';
import type { Profiler, Observation } from './baseline/profiler.ts';
import { kindIndex } from './baseline/items.ts';
import { commandKnown, type CommandKnowledge } from './baseline/commands.ts';
import { programName, type Rule, type RuleContext, type RuleHit } from './rules/types.ts';
import { WrittenPaths } from './written.ts';
import { RecentMap } from './recent.ts';
import { RecentExecs, type RecentExec } from './siblings.ts';
import { RecentConnects } from './recent-connects.ts';
import { DEFAULT_FANOUT, FanOut, treeKeys, type FanOutConfig } from './fanout.ts';
import { DEFAULT_INCIDENTS, IncidentGrouper, type IncidentConfig } from './incidents.ts';

export interface RuleSettings {
  enabled?: boolean;
  severity?: Severity;
}

export interface EngineConfig {
  /** repeats of one dedup key within this window increment the open alert */
  cooldownMs: number;
  rules: Record<string, RuleSettings>;
  /**
   * bound on open-alert dedup state; the least recently repeated are forgotten first
   * (a repeat of a forgotten alert raises a new alert: more alerts, never fewer)
   */
  maxOpenAlerts: number;
  /** written paths remembered per container for drift detection */
  maxWrittenPerContainer: number;
  /** containers whose written paths are remembered; the least recently writing are forgotten first */
  maxWrittenContainers: number;
  /** fan-out folding of novelty hits from one actor (models/fanout.ts) */
  fanOut: FanOutConfig;
  /** grouping of alerts into incidents (models/incidents.ts) */
  incidents: IncidentConfig;
}

export const DEFAULT_ENGINE: EngineConfig = {
  cooldownMs: 10 * 60_000,
  rules: {},
  maxOpenAlerts: 10_000,
  maxWrittenPerContainer: 4096,
  maxWrittenContainers: 1024,
  fanOut: DEFAULT_FANOUT,
  incidents: DEFAULT_INCIDENTS,
};

/** an open alert with its last occurrence as a number (not parsed from ISO per repeat) */
interface OpenAlert {
  alert: Alert;
  last: number;
}

/** what the engine forgot to stay bounded, for metrics */
export interface EngineStats {
  /** open alerts forgotten because of maxOpenAlerts while still inside their cooldown */
  openEvicted: number;
  /** open alerts forgotten because their cooldown window passed */
  openExpired: number;
  /** containers whose written paths were forgotten because of maxWrittenContainers */
  writtenEvicted: number;
}

const NO_EXECS: readonly RecentExec[] = [];
const NO_PORTS: ReadonlySet<number> = new Set();

/** process.exe of an alert whose source named no executable */
export const UNKNOWN_EXE = '(unknown)';

export class Engine {
  /** rules per event kind, by kindIndex */
  private byKind: (Rule[] | undefined)[] = [];
  /** open alerts by dedup key, bounded (see RecentMap: O(1) amortised eviction) */
  private open: RecentMap<string, OpenAlert>;
  private written: RecentMap<string, WrittenPaths>;
  /** recent execs per container (siblings.ts), bounded like the written paths */
  private execs: RecentMap<string, RecentExecs>;
  /** recent connections per container (recent-connects.ts), bounded the same way */
  private connects: RecentMap<string, RecentConnects>;
  /** open fan-out findings by rule, baseline and actor */
  readonly fanOut: FanOut;
  /** undefined when incident grouping is off */
  readonly incidents: IncidentGrouper | undefined;
  readonly stats: EngineStats = { openEvicted: 0, openExpired: 0, writtenEvicted: 0 };
  /** raised alerts per rule, for summaries */
  readonly raised = new Map<string, number>();
  private currentKey = '';
  private ctx: RuleContext = {
    obs: undefined as unknown as Observation,
    now: 0,
    containerWrote: (p: string): boolean => this.written.peek(this.currentKey)?.has(p) ?? false,
    siblings: (ppid: number, pid: number, since: number): readonly RecentExec[] => this.execs.peek(this.currentKey)?.siblings(ppid, pid, since) ?? NO_EXECS,
    recentExecs: (since: number): readonly RecentExec[] => this.execs.peek(this.currentKey)?.since(since) ?? NO_EXECS,
    portsReached: (pid: number, proto: string, addr: string, since: number): ReadonlySet<number> => this.connects.peek(this.currentKey)?.ports(pid, proto, addr, since) ?? NO_PORTS,
    command: (exe: string, args: string[]): CommandKnowledge => commandKnown(this.ctx.obs.baseline, this.profiler.names, this.profiler.cfg.maxArgPatterns, exe, args),
  };

  constructor(
    readonly profiler: Profiler,
    rules: Rule[],
    readonly cfg: EngineConfig,
  ) {
    this.open = new RecentMap(cfg.maxOpenAlerts);
    this.written = new RecentMap(cfg.maxWrittenContainers);
    this.execs = new RecentMap(cfg.maxWrittenContainers);
    this.connects = new RecentMap(cfg.maxWrittenContainers);
    this.fanOut = new FanOut(cfg.fanOut);
    this.incidents = cfg.incidents.enabled ? new IncidentGrouper(cfg.incidents) : undefined;
    for (const r of rules) {
      if (cfg.rules[r.id]?.enabled === false) continue;
      for (const k of r.kinds) (this.byKind[kindIndex(k)] ??= []).push(r);
    }
  }

  /** restore open alerts (after a restart), oldest first, so repeats keep folding */
  restoreOpen(alerts: Alert[]): void {
    for (const a of alerts) this.open.set(a.dedupKey, { alert: a, last: Date.parse(a.lastSeen) });
    this.stats.openEvicted += this.open.trim();
  }

  /** open alerts currently remembered */
  get openAlerts(): number {
    return this.open.size;
  }

  /** containers whose written paths are remembered */
  get writtenContainers(): number {
    return this.written.size;
  }

  /** A person resolved the alert with this dedup key: its next occurrence is a new alert. */
  forget(dedupKey: string): void {
    this.open.delete(dedupKey);
  }

  /** Process one enriched event; returns the alerts it created or updated. */
  process(ev: RuntimeEvent, now: number, out: AlertUpdate[] = []): AlertUpdate[] {
    const obs = this.profiler.observe(ev, now);
    // remembered before the rules run: a burst rule counts this connection too
    if (ev.kind === 'connect') this.rememberConnect(obs.baseline.key, ev);
    const rules = this.byKind[kindIndex(ev.kind)];
    if (rules !== undefined) {
      // one context object reused for every event: no per-event closures on the hot path
      const ctx = this.ctx;
      ctx.obs = obs;
      ctx.now = now;
      this.currentKey = obs.baseline.key;
      // One event, one alert: the most severe specific (built-in) rule speaks for the
      // event and names the others it also matched; "not in baseline" novelty only
      // speaks when no built-in rule did.
      let best: [Rule, RuleHit] | undefined;
      let novelty: [Rule, RuleHit] | undefined;
      // allocated only when a second rule matches (almost never): not one array per event
      let also: string[] | undefined;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        const hit = rule.evaluate(ev, ctx);
        if (hit === undefined) continue;
        // a finding a person approved for this baseline (decisions.ts)
        if (obs.baseline.decisions.excepted(rule.id, hit.dedupOn)) continue;
        if (rule.novelty) novelty = [rule, hit];
        else if (best === undefined || severityRank(this.severityOf(rule, hit)) > severityRank(this.severityOf(best[0], best[1]))) {
          if (best) (also ??= []).push(best[0].id);
          best = [rule, hit];
        } else (also ??= []).push(rule.id);
      }
      if (best !== undefined) {
        if (novelty) (also ??= []).push(novelty[0].id);
        const hit = also !== undefined ? { ...best[1], description: `${best[1].description ?? best[0].title + '.'} Also matched: ${also.join(', ')}.` } : best[1];
        out.push(this.placed(this.raise(best[0], hit, ev, obs, now), now));
      } else if (novelty !== undefined) out.push(this.placed(this.raise(novelty[0], novelty[1], ev, obs, now), now));
    }
    // chmod changes no content: `chmod +x run.sh && ./run.sh` from the image is not drift
    if (ev.kind === 'file_write' && ev.op !== 'unlink' && ev.op !== 'chmod') this.rememberWrite(obs.baseline.key, ev.op === 'rename' && ev.newPath ? ev.newPath : ev.path);
    else if (ev.kind === 'exec' && ev.process.ppid !== undefined) this.rememberExec(obs.baseline.key, ev);
    return out;
  }

  // the last few execs per container, for rules that look at siblings (pipelines)
  private rememberExec(key: string, ev: RuntimeEvent): void {
    let r = this.execs.get(key);
    if (!r) {
      this.execs.set(key, (r = new RecentExecs()));
      if (this.execs.size > this.execs.cap) this.execs.trim();
    }
    const p = ev.process;
    const parent = p.ancestors?.[0];
    r.add({ pid: p.pid, ppid: p.ppid!, exe: p.exe, name: programName(p), args: p.args, time: ev.time, parentExe: parent?.exe, parentArgs: parent?.args });
  }

  private rememberConnect(key: string, ev: EventOf<'connect'>): void {
    let r = this.connects.get(key);
    if (!r) {
      this.connects.set(key, (r = new RecentConnects()));
      if (this.connects.size > this.connects.cap) this.connects.trim();
    }
    r.add({ pid: ev.process.pid, proto: ev.proto, addr: ev.dstAddr, port: ev.dstPort, time: ev.time });
  }

  /** the update, its alert placed in its incident */
  private placed(u: AlertUpdate, now: number): AlertUpdate {
    this.incidents?.add(u, now);
    return u;
  }

  /** configured override first: it also decides which rule speaks for an event */
  private severityOf(rule: Rule, hit: RuleHit): Severity {
    return this.cfg.rules[rule.id]?.severity ?? hit.severity ?? rule.severity;
  }

  // bounded per container, see written.ts
  private rememberWrite(key: string, path: string): void {
    let w = this.written.get(key);
    if (!w) {
      this.written.set(key, (w = new WrittenPaths(this.cfg.maxWrittenPerContainer)));
      if (this.written.size > this.written.cap) this.stats.writtenEvicted += this.written.trim();
    }
    w.add(path);
  }

  private raise(rule: Rule, hit: RuleHit, ev: RuntimeEvent, obs: Observation, now: number): AlertUpdate {
    const b = obs.baseline;
    const dedupKey = `${rule.id}|${b.key}|${hit.dedupOn}`;
    const open = this.open.get(dedupKey);
    if (open !== undefined && now - open.last < this.cfg.cooldownMs) {
      const a = open.alert;
      a.count++;
      if (now > open.last) {
        open.last = now;
        a.lastSeen = new Date(now).toISOString();
      }
      return { alert: a, isNew: false };
    }
    const iso = new Date(now).toISOString();
    const severity = this.severityOf(rule, hit);
    // fan-out: the same rule and technique in this baseline, by the same process tree
    const scope = `${rule.id}|${(hit.mitre ?? rule.mitre).technique}|${b.key}|`;
    const tree = treeKeys(ev);
    const cover = tree.cover.map((k) => scope + k);
    const items = hit.items ?? foldItems(rule, hit, ev, obs);
    const folded = this.fanOut.fold(tree.lookup.map((k) => scope + k), cover, items, now, hit.fold);
    if (folded !== undefined) {
      // one more target of an open fan-out: the same finding, its evidence grows
      const f = folded.alert;
      f.count++;
      if (iso > f.lastSeen) f.lastSeen = iso;
      if (severityRank(severity) > severityRank(f.severity)) f.severity = severity;
      if (folded.added > 0 && rule.describeFold) f.summary = rule.describeFold(ev, f.evidence, folded.parts);
      // repeats of this item within the cooldown count into the same finding
      this.open.set(dedupKey, { alert: f, last: now });
      this.trimOpen(now);
      return folded.added > 0 ? { alert: f, isNew: false, folded: true } : { alert: f, isNew: false };
    }
    const w = ev.workload!;
    // while learning the novel item was just learned: it is no explanation of itself
    const expected = hit.expected ?? (obs.novel.length > 0 ? b.closest(obs.kind, obs.novel[0], 5 + obs.novel.length).filter((k) => !obs.novel.includes(k)).slice(0, 5) : []);
    const itemsOfKind = b.items.get(obs.kind)?.size ?? 0;
    const alert: Alert = {
      id: alertId(dedupKey, now, ev.node),
      time: iso,
      lastSeen: iso,
      rule: rule.id,
      severity,
      kind: ev.kind,
      summary: hit.summary,
      description: describe(rule, hit, obs, expected, ev),
      source: ev.source,
      workload: {
        id: w.id,
        namespace: w.namespace ?? null,
        kind: w.kind,
        name: w.name,
        container: w.container ?? ev.container?.name ?? null,
        pod: w.pod ?? null,
        node: ev.node,
        image: ev.container?.image ?? w.image ?? null,
      },
      process: {
        pid: ev.process.pid,
        ppid: ev.process.ppid ?? null,
        // an aggregated syscall set whose caller exited unseen has no executable to show
        exe: ev.process.exe !== '' ? ev.process.exe : UNKNOWN_EXE,
        args: ev.process.args,
        uid: ev.process.uid ?? null,
        cwd: ev.process.cwd ?? null,
        ancestors: ev.process.ancestors ?? [],
      },
      evidence: { ...evidenceOf(ev, obs), ...hit.evidence },
      baseline: { state: b.meta.state, version: b.meta.version, items: itemsOfKind, expected },
      mitre: hit.mitre ?? rule.mitre,
      dedupKey,
      count: 1,
    };
    if (open !== undefined) this.open.delete(dedupKey); // its window passed: the new one replaces it
    this.open.set(dedupKey, { alert, last: now });
    this.fanOut.start(cover, alert, items, now, hit.fold);
    this.trimOpen(now);
    this.raised.set(rule.id, (this.raised.get(rule.id) ?? 0) + 1);
    return { alert, isNew: true };
  }

  /** O(1) amortised: expired alerts at the old end, then the least recently repeated past the cap */
  private trimOpen(now: number): void {
    const cooldown = this.cfg.cooldownMs;
    this.stats.openExpired += this.open.dropExpired((o) => now - o.last >= cooldown);
    if (this.open.size > this.open.cap) this.stats.openEvicted += this.open.trim();
  }
}

/** what a hit is about, for fan-out: the novel items, a network item, the calls, or its dedup key */
function foldItems(rule: Rule, hit: RuleHit, ev: RuntimeEvent, obs: Observation): readonly string[] {
  if (rule.novelty) return obs.novel.length > 0 ? obs.novel : obs.items;
  if (ev.kind === 'connect' || ev.kind === 'listen') return obs.items;
  return hit.evidence?.syscalls ?? [hit.dedupOn];
}

function evidenceOf(ev: RuntimeEvent, obs: Observation): Evidence {
  const item = obs.novel[0] ?? obs.items[0];
  switch (ev.kind) {
    case 'exec': {
      const parent = ev.process.ancestors?.[0]?.exe;
      return { exe: ev.process.exe, args: ev.process.args, ...(parent ? { parentExe: parent } : {}), item };
    }
    case 'file_write':
      return { path: ev.path, op: ev.op, item };
    case 'file_open':
      return { path: ev.path, item };
    case 'listen':
      return { proto: ev.proto, addr: ev.addr, port: ev.port, ...(ev.peer ? { peer: ev.peer } : {}), item };
    case 'connect':
      return { proto: ev.proto, dstAddr: ev.dstAddr, dstPort: ev.dstPort, ...(ev.dns ? { dns: ev.dns } : {}), ...(ev.peer ? { peer: ev.peer } : {}), item };
    case 'syscall':
      return { syscalls: obs.novel.length > 0 ? obs.novel : ev.names, item };
  }
}

function describe(rule: Rule, hit: RuleHit, obs: Observation, expected: string[], ev: RuntimeEvent): string {
  const b = obs.baseline;
  const parts: string[] = [];
  parts.push(hit.description ?? `${rule.title}.`);
  if (ev.kind === 'syscall' && ev.aggregated) parts.push(aggregatedNote(ev));
  const n = b.items.get(obs.kind)?.size ?? 0;
  const since = b.meta.stableSince !== null ? ` since ${new Date(b.meta.stableSince).toISOString()}` : '';
  parts.push(`Baseline ${b.meta.workloadId} container ${b.meta.container} v${b.meta.version} is ${b.meta.state}${since} with ${n} ${obs.kind} item(s).`);
  if (obs.novel.length > 0 && b.enforcing()) parts.push(`Not in baseline: ${obs.novel.join(', ')}.`);
  if (expected.length > 0) parts.push(`Expected one of: ${expected.join(', ')}.`);
  return parts.join(' ');
}

/** the process of an aggregated syscall set is a representative: say so, and how it was chosen */
function aggregatedNote(ev: RuntimeEvent): string {
  const who = ev.process.pid > 0 ? `pid ${ev.process.pid}${ev.process.exe ? ` (${ev.process.exe})` : ''}` : undefined;
  return who
    ? `The ${ev.source} source reports system calls per container and interval: ${who} is the process that last made these calls in that interval.`
    : `The ${ev.source} source reports system calls per container and interval and did not say which process made them.`;
}

/** deterministic id: same dedup key at the same instant on the same node → same id */
export function alertId(dedupKey: string, now: number, node: string): string {
  return contentId(dedupKey, now, node);
}
