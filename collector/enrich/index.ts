// Enrichment: fills container and workload on each event. A chain of steps, each
// free to fill what it knows; the last step guarantees a workload identity.
//
// A step may hold an event back while it cannot attribute it yet (Kubernetes: the pod
// of a container that started a moment ago is not in the API's answer yet). Held
// events leave the batch; they come back through the sink — in their order, after the
// chain has run the rest of its steps — when the step says their key resolved, or
// when the hold deadline passes (then the step gives its best partial answer). The
// hot path stays synchronous; the whole queue has one timer, no event has its own.
import type { RuntimeEvent, WorkloadRef } from '../event.ts';
import { IdentityStep } from './identity.ts';
import { HoldQueue, type Held } from './hold.ts';

export interface HoldContext {
  /** the events held under this key can be attributed now */
  resolved(key: string): void;
}

/** a provisional identity that the API has since named: what it learned moves there */
export interface IdentityMove {
  from: { workloadId: string; container: string };
  to: WorkloadRef & { container: string };
  /** the container's image as the API names it (digest, else name): a baseline learned without one takes it */
  image?: string;
}

export interface EnrichStep {
  name: string;
  enrich(ev: RuntimeEvent): void;
  /** a key to hold the event under while it cannot be attributed (undefined: go on) */
  hold?(ev: RuntimeEvent): string | undefined;
  /** events held under `key` are released unresolved (deadline passed) */
  gaveUp?(key: string, events: number): void;
  /** given once, to steps that hold: how to wake their events */
  attach?(ctx: HoldContext): void;
  /** identity moves found since the last call */
  moves?(): IdentityMove[];
  close?(): void;
}

export interface Enricher {
  /** enrich a batch in place; events held back are removed from it (the sink gets them later) and added to `held` */
  enrich(batch: RuntimeEvent[], held?: RuntimeEvent[]): void;
  /** where held events go once enriched; until one is set nothing is held */
  setSink(sink: (events: RuntimeEvent[]) => void): void;
  /** identity moves the steps found since the last call */
  moves(): IdentityMove[];
  /** release every held event now (shutdown) */
  flush(): void;
  /** events held right now */
  readonly held: number;
  close(): void;
}

export interface EnricherOptions {
  /** longest hold of an event (ms) */
  holdMs?: number;
  /** most events held at once; past it they go on unheld */
  maxHeld?: number;
  /**
   * names what the input left unnamed (replay, normalised events: a pod's container by
   * its pod UID): runs, before the standalone identity, on events without a workload
   * only — an event its source named costs nothing more
   */
  fill?: EnrichStep;
  now?: () => number;
}

const NO_MOVES: IdentityMove[] = [];

export function createEnricher(steps: EnrichStep[] = [], opts: EnricherOptions = {}): Enricher {
  const identity = new IdentityStep();
  const fill = opts.fill;
  if (steps.length === 0) {
    // nothing host-specific to add (replay, normalised input): only fill what is missing
    return {
      enrich(batch) {
        for (let i = 0; i < batch.length; i++) {
          const ev = batch[i];
          if (ev.workload !== undefined && (ev.container !== undefined || ev.cgroup?.path === undefined)) continue;
          if (fill !== undefined && ev.workload === undefined) fill.enrich(ev);
          identity.enrich(ev);
        }
      },
      setSink() {},
      moves: () => NO_MOVES,
      flush() {},
      held: 0,
      close() {
        fill?.close?.();
      },
    };
  }
  const chain: EnrichStep[] = [...steps, ...(fill ? [fill] : []), identity];
  const now = opts.now ?? Date.now;
  const queue = new HoldQueue(opts.holdMs ?? 2000, opts.maxHeld ?? 10_000);
  let sink: ((events: RuntimeEvent[]) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;

  /** run the chain from step `from`; true when a step held the event */
  const run = (ev: RuntimeEvent, from: number, mayHold: boolean): boolean => {
    for (let i = from; i < chain.length; i++) {
      const s = chain[i];
      if (mayHold && s.hold !== undefined && sink !== undefined) {
        const key = s.hold(ev);
        if (key !== undefined) {
          if (queue.add(key, { ev, step: i }, now())) {
            arm();
            return true;
          }
          s.gaveUp?.(key, 1);
        }
      }
      s.enrich(ev);
    }
    return false;
  };

  const deliver = (items: Held[]): void => {
    const out: RuntimeEvent[] = [];
    for (const h of items) {
      run(h.ev, h.step, false);
      out.push(h.ev);
    }
    if (out.length > 0) sink?.(out);
  };

  const release = (groups: { key: string; items: Held[] }[]): void => {
    for (const g of groups) {
      chain[g.items[0].step].gaveUp?.(g.key, g.items.length);
      deliver(g.items);
    }
  };

  const expire = (): void => {
    timer = undefined;
    timerAt = Infinity;
    release(queue.expired(now()));
    arm();
  };

  function arm(): void {
    const at = queue.nextDeadline();
    if (at === undefined || at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(expire, Math.max(0, at - now()));
    timer.unref();
  }

  const ctx: HoldContext = { resolved: (key) => deliver(queue.take(key)) };
  for (const s of chain) s.attach?.(ctx);

  return {
    enrich(batch, held) {
      let j = 0;
      for (let i = 0; i < batch.length; i++) {
        const ev = batch[i];
        if (!run(ev, 0, true)) batch[j++] = ev;
        else held?.push(ev);
      }
      batch.length = j;
    },
    setSink(fn) {
      sink = fn;
    },
    moves() {
      let out: IdentityMove[] | undefined;
      for (const s of chain) {
        const m = s.moves?.();
        if (m && m.length > 0) (out ??= []).push(...m);
      }
      return out ?? NO_MOVES;
    },
    flush() {
      release(queue.drain());
    },
    get held() {
      return queue.size;
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const s of chain) s.close?.();
    },
  };
}
