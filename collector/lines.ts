// Fast newline splitting over byte streams with a hard cap on line length.
// readline is ~2x slower and cannot bound memory for a single huge line.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineChunk {
  lines: string[];
  /** lines longer than the cap that were skipped in this chunk */
  tooLong: number;
  /** byte offset just past the last complete line in this chunk */
  offset: number;
}

/**
 * The byte-level core of line splitting, for readers that want positions rather
 * than strings (sharded replay decodes only some lines). Complete lines are handed
 * to onLine as buf[start, end) without the newline; a line over maxBytes is skipped
 * (onTooLong) without being buffered whole; a partial last line is carried over to
 * the next buffer.
 */
export class LineScanner {
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** inside an over-long line, discarding until the next newline */
  private skipping = false;

  constructor(private readonly max = MAX_LINE_BYTES) {}

  /** Scan one buffer; returns the index just past its last complete line (-1: none). */
  push(buf: Buffer, onLine: (buf: Buffer, start: number, end: number) => void, onTooLong: () => void): number {
    let start = 0;
    let last = -1;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      if (this.skipping) {
        this.skipping = false;
      } else if (this.carryLen + (nl - start) > this.max) {
        onTooLong();
      } else if (this.carryLen > 0) {
        this.carry.push(buf.subarray(start, nl));
        const whole = Buffer.concat(this.carry);
        onLine(whole, 0, whole.length);
      } else {
        onLine(buf, start, nl);
      }
      this.carry = [];
      this.carryLen = 0;
      start = nl + 1;
      last = start;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length && !this.skipping) {
      const rest = buf.subarray(start);
      if (this.carryLen + rest.length > this.max) {
        this.skipping = true;
        onTooLong();
        this.carry = [];
        this.carryLen = 0;
      } else {
        this.carry.push(Buffer.from(rest)); // copy: the stream may reuse its buffer
        this.carryLen += rest.length;
      }
    }
    return last;
  }

  /** The unterminated last line, if any (call at end of input). */
  end(onLine: (buf: Buffer, start: number, end: number) => void): void {
    if (this.carryLen > 0 && !this.skipping) {
      const whole = Buffer.concat(this.carry);
      onLine(whole, 0, whole.length);
    }
    this.carry = [];
    this.carryLen = 0;
  }
}

/**
 * Yields the complete lines of a stream, batched per read chunk. A line over
 * maxBytes is skipped (counted in tooLong) without being buffered whole.
 * A final line without a trailing newline is yielded at end of input unless
 * emitPartial is false (a follower re-reads it once its newline arrives).
 */
export async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  opts: { maxBytes?: number; startOffset?: number; emitPartial?: boolean } = {},
): AsyncGenerator<LineChunk> {
  const scanner = new LineScanner(opts.maxBytes ?? MAX_LINE_BYTES);
  let offset = opts.startOffset ?? 0; // just past the last complete line
  let consumed = offset; // all bytes seen
  let lines: string[] = [];
  let tooLong = 0;
  const onLine = (buf: Buffer, start: number, end: number): void => void lines.push(stripCR(buf.toString('utf8', start, end)));
  const onTooLong = (): void => void tooLong++;
  for await (const raw of input) {
    const buf = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const chunkStart = consumed;
    consumed += buf.length;
    lines = [];
    tooLong = 0;
    const last = scanner.push(buf, onLine, onTooLong);
    // offset stays at the last complete line, so a resumed reader re-reads a partial one
    if (last !== -1) offset = chunkStart + last;
    if (lines.length > 0 || tooLong > 0) yield { lines, tooLong, offset };
  }
  if (opts.emitPartial !== false) {
    lines = [];
    scanner.end(onLine);
    if (lines.length > 0) yield { lines, tooLong: 0, offset: consumed };
  }
}

function stripCR(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

/** `-` means standard input */
export function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  return createReadStream(file, { highWaterMark: 256 * 1024 });
}
