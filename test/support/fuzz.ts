// Fuzzing helpers: a seeded PRNG (a failure names its seed and is replayed exactly),
// byte- and structure-level mutators, and a heap probe for "bounded memory".
//
// FUZZ_INPUTS sets how many generated inputs each parser gets: `npm run fuzz` sets
// 1,000,000; `npm test` runs the same tests with the small default.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rng } from './argv.ts';

export { rng };

export const FUZZ_INPUTS = Number(process.env.FUZZ_INPUTS ?? 2000);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261206);

export type Rng = () => number;

/** with FUZZ_REPORT set (npm run fuzz), one JSON line of figures per parser */
export function report(figures: Record<string, unknown>): void {
  if (process.env.FUZZ_REPORT) console.log(JSON.stringify({ inputs: FUZZ_INPUTS, seed: FUZZ_SEED, ...figures }));
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: Rng, n: number): number => Math.floor(r() * n);

/** bytes a parser finds hard: quotes, separators, escapes, NUL, CR, invalid UTF-8, big numbers */
const NASTY: readonly Buffer[] = [
  '"', '\\', '{', '}', '[', ']', ':', ',', '=', '\t', '\r', '\0', '\x1d', ' ', '\\x', '\\u00', 'é', '😀', '\u2028',
  '99999999999999999999', '-1', '1e999', 'NaN', 'null', 'true', '0x', '%', '../', '*', '**',
].map((s) => Buffer.from(s)).concat([Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf0, 0x9f])]);

/** random bytes, any value (lines split on \n, so a line of garbage is what follows) */
export function garbage(r: Rng, max = 200): Buffer {
  const b = Buffer.allocUnsafe(int(r, max));
  for (let i = 0; i < b.length; i++) {
    const v = int(r, 256);
    b[i] = v === 10 ? 32 : v;
  }
  return b;
}

/** one to four byte-level edits of a seed: delete, insert nasty bytes, truncate, duplicate, splice, overwrite */
export function mutateBytes(seed: Buffer, r: Rng, other: () => Buffer): Buffer {
  let s = seed;
  for (let ops = 1 + int(r, 4); ops > 0; ops--) {
    const at = int(r, s.length + 1);
    switch (int(r, 7)) {
      case 0:
        s = Buffer.concat([s.subarray(0, at), s.subarray(at + 1 + int(r, 20))]);
        break;
      case 1:
        s = Buffer.concat([s.subarray(0, at), pick(r, NASTY), s.subarray(at)]);
        break;
      case 2:
        s = s.subarray(0, at);
        break;
      case 3:
        s = Buffer.concat([s.subarray(0, at), s.subarray(Math.max(0, at - 30), at), s.subarray(at)]);
        break;
      case 4: {
        const o = other();
        s = Buffer.concat([s.subarray(0, at), o.subarray(Math.min(at, o.length))]);
        break;
      }
      case 5:
        s = Buffer.concat([s.subarray(0, at), garbage(r, 8), s.subarray(at)]);
        break;
      default: {
        // replace a run of digits (a pid, a time, a port) with a nasty number
        const txt = s.toString('latin1');
        const m = /\d+/.exec(txt.slice(at));
        if (m) s = Buffer.concat([s.subarray(0, at + m.index), Buffer.from(pick(r, ['99999999999999999999', '-1', '0', '4294967296', '1e999', '65536', '1.5'])), s.subarray(at + m.index + m[0].length)]);
      }
    }
  }
  // a newline inside would make two lines of it: keep one line per input
  for (let i = 0; i < s.length; i++) if (s[i] === 10) s = Buffer.concat([s.subarray(0, i), Buffer.from(' '), s.subarray(i + 1)]);
  return s;
}

/** a random JSON-ish value built from the keys and strings a parser knows */
export function randomValue(r: Rng, keys: readonly string[], strings: readonly string[], depth = 0): unknown {
  switch (int(r, depth > 3 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return pick(r, [0, -1, 1.5, 1e21, -1e21, 2 ** 53, 65536, Number.MAX_VALUE, 1700000000000]);
    case 2:
      return pick(r, strings);
    case 3:
      return r() < 0.5;
    case 4:
      return int(r, 70000);
    case 5:
      return garbage(r, 12).toString('utf8');
    case 6:
      return Array.from({ length: int(r, 4) }, () => randomValue(r, keys, strings, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 6); i > 0; i--) o[pick(r, keys)] = randomValue(r, keys, strings, depth + 1);
      return o;
    }
  }
}

/** a valid value with some members dropped, replaced by random values, or added */
export function mutateValue(v: unknown, r: Rng, keys: readonly string[], strings: readonly string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => (r() < 0.1 ? randomValue(r, keys, strings) : mutateValue(x, r, keys, strings)));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const d = r();
      if (d < 0.06) continue;
      o[k] = d < 0.14 ? randomValue(r, keys, strings) : mutateValue(x, r, keys, strings);
    }
    if (r() < 0.05) o[pick(r, keys)] = randomValue(r, keys, strings);
    return o;
  }
  return r() < 0.03 ? randomValue(r, keys, strings) : v;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Heap after a full collection, sampled as the run goes: the growth from the first sample
 * past the warm-up (a quarter of the run: caches fill to their caps) to the largest later one.
 */
export class HeapProbe {
  private base: number | undefined;
  private peak = 0;
  samples = 0;

  sample(progress: number): void {
    gc();
    const h = process.memoryUsage().heapUsed;
    this.samples++;
    if (progress < 0.25) return;
    if (this.base === undefined) this.base = h;
    this.peak = Math.max(this.peak, h);
  }

  /** MiB grown after the warm-up (0 when the run was too short to tell) */
  growthMiB(): number {
    return this.base === undefined ? 0 : Math.max(0, this.peak - this.base) / (1 << 20);
  }
}
