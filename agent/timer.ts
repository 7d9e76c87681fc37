// Time as a dependency: the wall clock and timers a component schedules with, so a
// test can drive backoff and intervals deterministically instead of waiting them out
// (test/support/manual-timer.ts). Production code gets `realTimer`, whose one-shot
// waits are the code base's one sleep (collector/sleep.ts).
import { sleep } from '../collector/sleep.ts';

export interface Timer {
  /** wall clock, epoch ms */
  now(): number;
  /** run fn once after ms; returns a cancel function */
  after(ms: number, fn: () => void): () => void;
  /** run fn every ms; returns a cancel function. Never keeps the process alive. */
  every(ms: number, fn: () => void): () => void;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  after(ms, fn) {
    const cancel = new AbortController();
    void sleep(ms, cancel.signal).then(() => {
      if (!cancel.signal.aborted) fn();
    });
    return () => cancel.abort();
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** realTimer with another wall clock (e.g. an injected `now`) */
export function timerWithClock(now: () => number, base: Timer = realTimer): Timer {
  return { now, after: base.after, every: base.every };
}
