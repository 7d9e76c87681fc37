// Chunk-interleaved timing: several consumers take the same chunks of one input in
// turn, in a rotating order, each chunk timed on its own. This VM's speed drifts by
// ±40% over seconds (separate runs of a 5-second job measured 0.45–0.97 of each other
// within one minute); interleaved 256 KiB at a time, every consumer meets the same drift
// and two runs of the same code agree within ~1.5%.
import { LineScanner } from '../collector/lines.ts';

export interface Feed {
  push(buf: Buffer): void;
  end(): void;
}

export interface Timed {
  name: string;
  feed: Feed;
  /** wall time spent in this consumer */
  ns: bigint;
  /** CPU time of the process (all threads) while in this consumer, µs */
  cpuUs: number;
}

export const CHUNK = 256 * 1024;

export function timed(name: string, feed: Feed): Timed {
  return { name, feed, ns: 0n, cpuUs: 0 };
}

/** The parse floor: the line splitter and `JSON.parse` of every line. */
export function floorFeed(): Feed {
  const scanner = new LineScanner();
  const onLine = (b: Buffer, s: number, e: number): void => void JSON.parse(b.toString('utf8', s, e));
  return { push: (buf) => void scanner.push(buf, onLine, () => undefined), end: () => scanner.end(onLine) };
}

/** run fn, adding its wall and CPU time to t */
export function timeInto(t: Timed, fn: () => void): void {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  t.ns += process.hrtime.bigint() - t0;
  const c = process.cpuUsage(c0);
  t.cpuUs += c.user + c.system;
}

/** Feed all of data to every consumer, chunk by chunk, rotating who goes first. */
export function interleave(data: Buffer, ts: Timed[], onProgress?: (fraction: number) => void): void {
  let k = 0;
  for (let off = 0; off < data.length; off += CHUNK, k++) {
    if (k % 64 === 0) onProgress?.(off / data.length);
    const buf = data.subarray(off, Math.min(data.length, off + CHUNK));
    for (let j = 0; j < ts.length; j++) {
      const t = ts[(j + k) % ts.length];
      timeInto(t, () => t.feed.push(buf));
    }
  }
  for (const t of ts) timeInto(t, () => t.feed.end());
}
