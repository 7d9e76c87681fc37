// Fan-out folding: one process tree doing one kind of thing to many targets in a short
// time is one finding, not one alert per target. A process connecting to ports 1–1024
// of one address is one `unexpected-connect` with 1,024 destinations; a shell running a
// burst of binaries the workload never ran is one `unexpected-exec`; `apt-get` and the
// `dpkg` it runs are one `package-manager`; `unshare` and the `mount` its shell runs are
// one `dangerous-syscall`.
//
// Who "one actor" is: a hit folds into the open finding of the same rule, ATT&CK
// technique and baseline that its process (or, for a new process, its parent) already
// belongs to. A finding covers the process that raised it and, for an execution, the
// parent that started it (so the siblings of a burst fold) — and every process folded
// into it covers its own children in turn (so `apt-get → dpkg`, `sh → cp, chmod, rm`
// fold). Only the nearest parent is looked at: a finding does not swallow everything
// below a long-lived service or container runtime.
//
// Why this is right for any workload: the unit a responder acts on is "what did this
// process tree do", and a fan-out has one answer however many targets it touched. Only
// hits of the same rule and technique fold (distinct techniques stay their own alerts),
// only while the tree keeps going (the window slides from the last fold), and nothing is
// lost: the alert's evidence lists the distinct items, ports and addresses and counts
// them all. Pure: time is an argument; state is bounded and owned by the Engine.
import type { RuntimeEvent } from '../collector/event.ts';
import type { Alert, Evidence } from './alert.ts';
import { splitNetKey } from './baseline/items.ts';
import { RecentMap } from './recent.ts';

export interface FanOutConfig {
  /** hits of one tree fold while each comes within this long of the previous one */
  windowMs: number;
  /** distinct items (and addresses) listed in one finding's evidence */
  maxItems: number;
  /** open findings remembered; the least recently extended are forgotten first */
  maxOpen: number;
}

/** distinct items remembered per finding to tell a new target from a repeat */
const SEEN_MAX = 65_536;

const NO_PARTS: readonly FoldPart[] = [];

export const DEFAULT_FANOUT: FanOutConfig = { windowMs: 60_000, maxItems: 64, maxOpen: 10_000 };

/**
 * The items of one kind of hit within a finding (RuleHit.fold: e.g. a new binary versus a
 * known binary from a new parent, both `unexpected-exec`): its distinct items, first
 * first (bounded like the evidence's), and how many in all. A rule's describeFold tells
 * them apart, so a finding's summary says what each item is.
 */
export interface FoldPart {
  /** the hits' kind ('' unless the rule names one) */
  cls: string;
  items: readonly string[];
  distinct: number;
}

interface Finding {
  alert: Alert;
  /** the kind of its first hit */
  cls: string;
  /** per kind, once a hit of another kind folded in (a finding of one kind keeps none) */
  parts: Map<string, { cls: string; items: string[]; distinct: number }> | undefined;
  /** time of the latest hit folded in (or of the first) */
  last: number;
  /** the alert's summary and description before any fold */
  baseSummary: string;
  baseDescription: string;
  items: string[];
  /** every distinct item folded so far (bounded: past it, each hit counts as distinct) */
  seen: Set<string>;
  distinct: number;
  ports: Set<number> | undefined;
  addrs: string[] | undefined;
  syscalls: string[] | undefined;
}

/**
 * The processes a hit may fold under (`lookup`) and those it makes its finding cover
 * (`cover`), as keys. A source that aggregates without naming a process (pid 0) makes
 * the container the actor.
 */
export function treeKeys(ev: RuntimeEvent): { lookup: string[]; cover: string[] } {
  const p = ev.process;
  if (!(p.pid > 0)) return { lookup: ['container'], cover: ['container'] };
  const ppid = p.ppid ?? p.ancestors?.[0]?.pid;
  const parent = ppid !== undefined && ppid > 0 ? `p${ppid}` : undefined;
  const self = `p${p.pid}`;
  // a new process is its parent's act (the burst of a shell); anything else its own
  if (ev.kind === 'exec') return parent !== undefined ? { lookup: [parent], cover: [parent, self] } : { lookup: [], cover: [self] };
  return { lookup: parent !== undefined ? [self, parent] : [self], cover: [self] };
}

export class FanOut {
  private open: RecentMap<string, Finding>;
  /** findings forgotten because of maxOpen while still inside their window */
  evicted = 0;

  constructor(private cfg: FanOutConfig) {
    this.open = new RecentMap(cfg.maxOpen);
  }

  /** open keys remembered (a finding has one per process it covers) */
  get size(): number {
    return this.open.size;
  }

  /** a new alert opens a finding covering `keys`; `items` are the items it already covers */
  start(keys: readonly string[], alert: Alert, items: readonly string[], now: number, cls = ''): void {
    const f: Finding = {
      alert,
      cls,
      parts: undefined,
      last: now,
      baseSummary: alert.summary,
      baseDescription: alert.description,
      items: items.slice(0, this.cfg.maxItems),
      seen: new Set(items),
      distinct: items.length,
      ports: undefined,
      addrs: undefined,
      syscalls: alert.evidence.syscalls ? [...alert.evidence.syscalls] : undefined,
    };
    if (alert.kind === 'connect' || alert.kind === 'listen') {
      f.ports = new Set();
      f.addrs = [];
      for (const it of items) addNet(f, it, this.cfg.maxItems);
    }
    this.cover(keys, f, now);
  }

  /**
   * Fold `items` into the open finding of the first of `keys` that has one: items it has
   * not covered yet extend its evidence, and the finding covers `cover` from now on.
   * Returns the finding's alert and how many items were new to it, or undefined when no
   * key has a finding still inside its window. The caller counts the hit. `cls` is the
   * hit's kind (FoldPart); `parts` lists the finding's items by kind when some were new.
   */
  fold(
    keys: readonly string[],
    cover: readonly string[],
    items: readonly string[],
    now: number,
    cls = '',
  ): { alert: Alert; added: number; parts: readonly FoldPart[] } | undefined {
    let f: Finding | undefined;
    for (const k of keys) {
      const o = this.open.get(k);
      if (o !== undefined && now - o.last < this.cfg.windowMs) {
        f = o;
        break;
      }
    }
    if (f === undefined) return undefined;
    const max = this.cfg.maxItems;
    let added = 0;
    if (f.parts === undefined && cls !== f.cls) f.parts = new Map([[f.cls, { cls: f.cls, items: [...f.items], distinct: f.distinct }]]);
    let part = f.parts?.get(cls);
    for (const it of items) {
      if (f.seen.has(it)) continue;
      if (f.seen.size < SEEN_MAX) f.seen.add(it);
      added++;
      f.distinct++;
      if (f.items.length < max) f.items.push(it);
      if (f.parts !== undefined) {
        if (part === undefined) f.parts.set(cls, (part = { cls, items: [], distinct: 0 }));
        part.distinct++;
        if (part.items.length < max) part.items.push(it);
      }
      if (f.ports !== undefined) addNet(f, it, max);
      if (f.syscalls !== undefined && f.syscalls.length < max && !f.syscalls.includes(it)) f.syscalls.push(it);
    }
    f.last = now;
    this.cover(cover, f, now);
    const a = f.alert;
    if (added === 0) return { alert: a, added, parts: NO_PARTS };
    const e: Evidence = a.evidence;
    e.items = [...f.items];
    e.distinct = f.distinct;
    if (f.ports !== undefined && f.ports.size > 0) {
      e.ports = portRanges(f.ports);
      e.addresses = [...f.addrs!];
    }
    if (f.syscalls !== undefined) e.syscalls = [...f.syscalls];
    const window = this.cfg.windowMs >= 1000 ? `${Math.round(this.cfg.windowMs / 1000)} s` : `${this.cfg.windowMs} ms`;
    a.description = `${f.baseDescription} Fan-out: ${f.distinct} distinct items from one process tree, each within ${window} of the previous (evidence.items).`;
    a.summary = `${f.baseSummary} (+${f.distinct - 1} more: ${f.items.slice(1, 6).join(', ')}${f.distinct > 6 ? ', …' : ''})`;
    return { alert: a, added, parts: f.parts !== undefined ? [...f.parts.values()] : [{ cls: f.cls, items: f.items, distinct: f.distinct }] };
  }

  private cover(keys: readonly string[], f: Finding, now: number): void {
    for (const k of keys) this.open.set(k, f);
    // findings start in time order: the expired ones are at the old end
    this.open.dropExpired((o) => now - o.last >= this.cfg.windowMs);
    if (this.open.size > this.open.cap) this.evicted += this.open.trim();
  }
}

function addNet(f: Finding, item: string, max: number): void {
  const p = splitNetKey(item);
  if (p === undefined) return;
  const port = Number(p[2]);
  if (Number.isInteger(port)) f.ports!.add(port);
  if (f.addrs!.length < max && !f.addrs!.includes(p[1])) f.addrs!.push(p[1]);
}

/** 1,2,3,5,80 → "1-3,5,80" */
export function portRanges(ports: Iterable<number>): string {
  const sorted = [...ports].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return out.join(',');
}
