// Events held back until their container can be attributed (its pod not yet in the
// API's answer), grouped by a key (the container id): a group keeps arrival order,
// releases as a whole when its key resolves, or when its deadline passes. Deadlines are
// set on a group's first event and groups are kept in arrival order, so the earliest
// deadline is always the first group: one timer for the whole queue, none per event.
import type { RuntimeEvent } from '../event.ts';

export interface Held {
  ev: RuntimeEvent;
  /** the enrichment step that held it (the chain resumes there) */
  step: number;
}

interface Group {
  deadline: number;
  items: Held[];
}

export class HoldQueue {
  private groups = new Map<string, Group>();
  private count = 0;

  constructor(
    private readonly holdMs: number,
    /** at most this many events held; past it an event is not held (the caller emits it partial) */
    private readonly max: number,
  ) {}

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return this.groups.has(key);
  }

  /** hold an event; false when the queue is full (then it must go on unheld) */
  add(key: string, h: Held, now: number): boolean {
    if (this.count >= this.max) return false;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { deadline: now + this.holdMs, items: [] }));
    g.items.push(h);
    this.count++;
    return true;
  }

  /** the group of a key that resolved (empty when none held) */
  take(key: string): Held[] {
    const g = this.groups.get(key);
    if (!g) return [];
    this.groups.delete(key);
    this.count -= g.items.length;
    return g.items;
  }

  /** every group whose deadline has passed, oldest first */
  expired(now: number): { key: string; items: Held[] }[] {
    const out: { key: string; items: Held[] }[] = [];
    for (const [key, g] of this.groups) {
      if (g.deadline > now) break;
      out.push({ key, items: g.items });
    }
    for (const o of out) {
      this.groups.delete(o.key);
      this.count -= o.items.length;
    }
    return out;
  }

  nextDeadline(): number | undefined {
    for (const g of this.groups.values()) return g.deadline;
    return undefined;
  }

  /** every group, deadline or not, oldest first (shutdown) */
  drain(): { key: string; items: Held[] }[] {
    return this.expired(Infinity);
  }
}
