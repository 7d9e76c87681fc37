import { redactCommand } from './redact.ts';

// Counters every source reports into. Bad input is counted by reason, never thrown:
// one malformed record must not stop the records after it.

export interface SourceStats {
  /** a record was accepted and turned into (zero or more) events */
  received(source: string, n?: number): void;
  /** a record could not be decoded; reason is a short fixed token (bounded label) */
  bad(source: string, reason: string, detail?: string): void;
  /** events lost before decoding (kernel ring buffer, lost-event lines, queue overflow) */
  dropped(source: string, reason: string, n?: number): void;
  /** a live source's child process or reader restarted */
  restarted(source: string, reason: string): void;
  /** records kept after repairing a defect (invalid UTF-8 shown as U+FFFD), by reason */
  repaired?(source: string, reason: string, n?: number): void;
}

export interface StatsSnapshot {
  received: Record<string, number>;
  bad: Record<string, Record<string, number>>;
  dropped: Record<string, Record<string, number>>;
  restarts: Record<string, number>;
  repaired: Record<string, Record<string, number>>;
  /** a few example details per reason, for the replay summary */
  examples: Record<string, string[]>;
}

/**
 * A bad record as an example for summaries and logs: secrets redacted first, then cut
 * short (cutting first could leave the start of a token its pattern no longer matches).
 * Callers pass the whole record.
 */
export function badExample(detail: string): string {
  let d = detail;
  if (d.length > 4096) {
    // cut where no token runs across the cut: at a space, quote or comma
    let cut = 4096;
    while (cut > 3072 && !' ,"\'\t'.includes(d[cut])) cut--;
    d = d.slice(0, cut);
  }
  const r = redactCommand(d);
  return r.length > 200 ? r.slice(0, 200) + '…' : r;
}

/** In-memory implementation; the agent wraps it to also feed Prometheus counters. */
export class MemoryStats implements SourceStats {
  readonly snap: StatsSnapshot = { received: {}, bad: {}, dropped: {}, restarts: {}, repaired: {}, examples: {} };
  private listeners: SourceStats[] = [];

  /** forward every count to another sink as well (e.g. prom-client counters) */
  forward(to: SourceStats): void {
    this.listeners.push(to);
  }

  received(source: string, n = 1): void {
    this.snap.received[source] = (this.snap.received[source] ?? 0) + n;
    for (const l of this.listeners) l.received(source, n);
  }
  bad(source: string, reason: string, detail?: string): void {
    const m = (this.snap.bad[source] ??= {});
    m[reason] = (m[reason] ?? 0) + 1;
    if (detail !== undefined) {
      const ex = (this.snap.examples[`${source}/${reason}`] ??= []);
      if (ex.length < 3) ex.push(badExample(detail));
    }
    for (const l of this.listeners) l.bad(source, reason, detail);
  }
  dropped(source: string, reason: string, n = 1): void {
    const m = (this.snap.dropped[source] ??= {});
    m[reason] = (m[reason] ?? 0) + n;
    for (const l of this.listeners) l.dropped(source, reason, n);
  }
  repaired(source: string, reason: string, n = 1): void {
    const m = (this.snap.repaired[source] ??= {});
    m[reason] = (m[reason] ?? 0) + n;
    for (const l of this.listeners) l.repaired?.(source, reason, n);
  }
  restarted(source: string, reason: string): void {
    this.snap.restarts[source] = (this.snap.restarts[source] ?? 0) + 1;
    for (const l of this.listeners) l.restarted(source, reason);
  }
  totalBad(): number {
    let t = 0;
    for (const m of Object.values(this.snap.bad)) for (const v of Object.values(m)) t += v;
    return t;
  }
}
