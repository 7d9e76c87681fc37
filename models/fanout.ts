// Fan-out folding: one actor doing one new kind of thing to many targets in a short
// time is one finding, not one alert per target. A process connecting to ports 1–1024
// of one address is one `unexpected-connect` with 1,024 destinations; a shell running a
// burst of binaries the workload never ran is one `unexpected-exec`; the new syscalls
// of one interval after another are one `unexpected-syscall`.
//
// Why this is right for any workload: the unit a responder acts on is "what did this
// process do", and a fan-out has one answer however many targets it touched. Only hits
// of the same rule fold (distinct techniques — built-in rules — stay their own alerts),
// only from the same actor (the rule says who: models/rules/novelty.ts), only while the
// actor keeps going (the window slides from the last fold), and nothing is lost: the
// alert's evidence lists the distinct items, ports and addresses and counts them all.
// Pure: time is an argument; state is bounded and owned by the Engine.
import type { Alert, Evidence } from './alert.ts';
import { splitNetKey } from './baseline/items.ts';
import { RecentMap } from './recent.ts';

export interface FanOutConfig {
  /** hits of one actor fold while each comes within this long of the previous one */
  windowMs: number;
  /** distinct items (and addresses) listed in one finding's evidence */
  maxItems: number;
  /** open findings remembered; the least recently extended are forgotten first */
  maxOpen: number;
}

/** distinct items remembered per finding to tell a new target from a repeat */
const SEEN_MAX = 65_536;

export const DEFAULT_FANOUT: FanOutConfig = { windowMs: 60_000, maxItems: 64, maxOpen: 10_000 };

interface Finding {
  alert: Alert;
  /** time of the latest hit folded in (or of the first) */
  last: number;
  /** the alert's description before any fold */
  baseDescription: string;
  items: string[];
  /** every distinct item folded so far (bounded: past it, each hit counts as distinct) */
  seen: Set<string>;
  distinct: number;
  ports: Set<number> | undefined;
  addrs: string[] | undefined;
  syscalls: string[] | undefined;
}

export class FanOut {
  private open: RecentMap<string, Finding>;
  /** findings forgotten because of maxOpen while still inside their window */
  evicted = 0;

  constructor(private cfg: FanOutConfig) {
    this.open = new RecentMap(cfg.maxOpen);
  }

  /** open findings remembered */
  get size(): number {
    return this.open.size;
  }

  /** a new alert opens the finding of `key`; `items` are the items it already covers */
  start(key: string, alert: Alert, items: readonly string[], now: number): void {
    this.open.delete(key);
    const f: Finding = {
      alert,
      last: now,
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
    this.open.set(key, f);
    // findings start in time order: the expired ones are at the old end
    this.open.dropExpired((o) => now - o.last >= this.cfg.windowMs);
    if (this.open.size > this.open.cap) this.evicted += this.open.trim();
  }

  /**
   * Fold `items` into the open finding of `key`: items it has not covered yet extend
   * its evidence. Returns the finding's alert and how many items were new to it, or
   * undefined when no finding is open under the key (or its window has passed). The
   * caller counts the hit.
   */
  fold(key: string, items: readonly string[], now: number): { alert: Alert; added: number } | undefined {
    const f = this.open.get(key);
    if (f === undefined) return undefined;
    if (now - f.last >= this.cfg.windowMs) {
      this.open.delete(key);
      return undefined;
    }
    const max = this.cfg.maxItems;
    let added = 0;
    for (const it of items) {
      if (f.seen.has(it)) continue;
      if (f.seen.size < SEEN_MAX) f.seen.add(it);
      added++;
      f.distinct++;
      if (f.items.length < max) f.items.push(it);
      if (f.ports !== undefined) addNet(f, it, max);
      if (f.syscalls !== undefined && f.syscalls.length < max && !f.syscalls.includes(it)) f.syscalls.push(it);
    }
    f.last = now;
    const a = f.alert;
    if (added === 0) return { alert: a, added };
    const e: Evidence = a.evidence;
    e.items = [...f.items];
    e.distinct = f.distinct;
    if (f.ports !== undefined) {
      e.ports = portRanges(f.ports);
      e.addresses = [...f.addrs!];
    }
    if (f.syscalls !== undefined) e.syscalls = [...f.syscalls];
    const window = this.cfg.windowMs >= 1000 ? `${Math.round(this.cfg.windowMs / 1000)} s` : `${this.cfg.windowMs} ms`;
    a.description = `${f.baseDescription} Fan-out: ${f.distinct} distinct items from the same actor, each within ${window} of the previous (evidence.items).`;
    return { alert: a, added };
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
