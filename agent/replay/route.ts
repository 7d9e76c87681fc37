// Which shard owns a line of normalised events. All of a workload's events must go
// to one shard (baselines, cooldowns and drift memory are per workload container),
// so the shard is a hash of the workload id. Reading the id straight from the
// line's bytes lets a shard skip other shards' lines without decoding them.
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../../collector/fnv.ts';

// without its opening quote: Buffer#indexOf scans for the needle's first byte, and
// quotes are everywhere in JSON (searching from 'w' is ~3x faster); the quote is
// checked separately
const PATTERN = Buffer.from('workload":{"id":"');

/** shard of a workload id (FNV-1a over its UTF-16 code units) */
export function idShard(id: string, shards: number): number {
  return fnv1a(id) % shards;
}

/**
 * Finds `"workload":{"id":"…"` in lines of one buffer without re-scanning: the next
 * match is remembered, so lines without one cost one search in total, not one each.
 */
export class LineRouter {
  private buf: Buffer | undefined;
  private next = -1;

  constructor(readonly shards: number) {}

  /** forget the remembered match: call for each new buffer (a stream may reuse one) */
  reset(): void {
    this.buf = undefined;
  }

  /**
   * The shard of the line buf[start, end), or -1 when it cannot be told from the
   * bytes (no such key, escapes or non-ASCII in the id): the line must be decoded
   * and its workload id hashed with idShard. For ASCII ids both give the same shard.
   */
  route(buf: Buffer, start: number, end: number): number {
    if (buf !== this.buf || this.next < start) {
      this.buf = buf;
      this.next = buf.indexOf(PATTERN, start);
      if (this.next === -1) this.next = buf.length;
    }
    const at = this.next;
    if (at + PATTERN.length > end) return -1;
    const quoted = at > start && buf[at - 1] === 34; /* " */
    // a second occurrence in the same line (a nested object, a duplicate key) makes
    // the first one untrustworthy: decode instead
    this.next = buf.indexOf(PATTERN, at + PATTERN.length);
    if (this.next === -1) this.next = buf.length;
    if (this.next < end || !quoted) return -1;
    let h = FNV_OFFSET;
    for (let i = at + PATTERN.length; i < end; i++) {
      const c = buf[i];
      if (c === 34 /* " */) return (h >>> 0) % this.shards;
      if (c === 92 /* \ */ || c >= 128 || c < 32) return -1;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    return -1;
  }
}
