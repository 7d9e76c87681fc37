// A Timer (agent/timer.ts) that only moves when the test says so: virtual time, and
// scheduled callbacks that run when the test fires them. Tests assert the delays a
// component asked for instead of measuring wall-clock time, and never wait out a backoff.
import type { Timer } from '../../agent/timer.ts';

interface Pending {
  id: number;
  due: number;
  ms: number;
  fn: () => void;
  /** repeat interval, for every() */
  every?: number;
}

export class ManualTimer implements Timer {
  private t: number;
  private pending: Pending[] = [];
  private seq = 0;
  /** every delay passed to after(), in order (intervals not included) */
  readonly requested: number[] = [];

  constructor(start = Date.parse('2026-05-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** move the clock without firing anything (e.g. to age rows) */
  set(now: number): void {
    this.t = now;
  }

  after(ms: number, fn: () => void): () => void {
    this.requested.push(ms);
    return this.schedule(ms, fn);
  }

  every(ms: number, fn: () => void): () => void {
    return this.schedule(ms, fn, ms);
  }

  private schedule(ms: number, fn: () => void, every?: number): () => void {
    const p: Pending = { id: ++this.seq, due: this.t + Math.max(0, ms), ms, fn, every };
    this.pending.push(p);
    return () => {
      this.pending = this.pending.filter((x) => x !== p);
    };
  }

  /** one-shot callbacks waiting, with the delay each asked for */
  waiting(): number[] {
    return this.pending.filter((p) => p.every === undefined).map((p) => p.ms);
  }

  /** jump to the earliest scheduled callback and run it; false when nothing is scheduled */
  fireNext(o: { oneShotOnly?: boolean } = {}): boolean {
    const candidates = o.oneShotOnly ? this.pending.filter((p) => p.every === undefined) : this.pending;
    if (candidates.length === 0) return false;
    const p = candidates.reduce((a, b) => (b.due < a.due || (b.due === a.due && b.id < a.id) ? b : a));
    this.t = Math.max(this.t, p.due);
    this.pending = this.pending.filter((x) => x !== p);
    if (p.every !== undefined) this.pending.push({ ...p, id: ++this.seq, due: this.t + p.every });
    p.fn();
    return true;
  }

  /** advance by ms, running everything that falls due on the way, in order */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.due <= end);
      if (due.length === 0) break;
      this.fireNext();
    }
    this.t = end;
  }
}
