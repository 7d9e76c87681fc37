// Fast newline splitting over byte streams with a hard cap on line length.
// readline is ~2x slower and cannot bound memory for a single huge line.
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { SourceStats } from './stats.ts';

export const MAX_LINE_BYTES = 1024 * 1024;

/** what a reader skipped (or repaired) of a chunk's lines */
export interface Skipped {
  /** lines longer than the cap that were skipped */
  tooLong: number;
  /** lines whose bytes are not valid UTF-8, skipped (their start, for the example) */
  badEncoding: string[];
  /** with `repair`: lines kept although not valid UTF-8 (invalid bytes shown as U+FFFD) */
  repaired?: number;
}

export interface LineChunk extends Skipped {
  lines: string[];
  repaired: number;
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
 * The line buf[start, end) as a string, or undefined when its bytes are not valid UTF-8.
 * Decoding replaces invalid bytes with U+FFFD; only a line that then holds one (rare: a
 * real U+FFFD in the input, or a repair) has its bytes checked.
 */
export function utf8Line(buf: Buffer, start: number, end: number): string | undefined {
  const s = buf.toString('utf8', start, end);
  return s.indexOf('\uFFFD') === -1 || isUtf8(buf.subarray(start, end)) ? s : undefined;
}

/** Count a chunk's skipped lines (over-long, not UTF-8) as bad input of `source`. */
export function reportSkipped(chunk: Skipped, source: string, where: string, stats: SourceStats): void {
  for (let i = 0; i < chunk.tooLong; i++) stats.bad(source, 'line_too_long', `${where}: line over 1 MiB`);
  for (const line of chunk.badEncoding) stats.bad(source, 'bad_encoding', `${where}: not UTF-8: ${line}`);
  if (chunk.repaired !== undefined && chunk.repaired > 0) stats.repaired?.(source, 'bad_encoding', chunk.repaired);
}

/**
 * Yields the complete lines of a stream, batched per read chunk. A line over
 * maxBytes is skipped (counted in tooLong) without being buffered whole.
 * A final line without a trailing newline is yielded at end of input unless
 * emitPartial is false (a follower re-reads it once its newline arrives).
 * A line that is not valid UTF-8 is skipped (counted in badEncoding), or with `repair`
 * kept with U+FFFD in place of its invalid bytes (counted in repaired): for text whose
 * bytes come from the kernel (file names), where dropping would let a process hide.
 */
export async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  opts: { maxBytes?: number; startOffset?: number; emitPartial?: boolean; repair?: boolean } = {},
): AsyncGenerator<LineChunk> {
  const scanner = new LineScanner(opts.maxBytes ?? MAX_LINE_BYTES);
  let offset = opts.startOffset ?? 0; // just past the last complete line
  let consumed = offset; // all bytes seen
  let lines: string[] = [];
  let tooLong = 0;
  let badEncoding: string[] = [];
  let repaired = 0;
  const repair = opts.repair === true;
  const onLine = (buf: Buffer, start: number, end: number): void => {
    const s = utf8Line(buf, start, end);
    if (s !== undefined) lines.push(stripCR(s));
    else if (repair) {
      repaired++;
      lines.push(stripCR(buf.toString('utf8', start, end)));
    } else badEncoding.push(buf.toString('utf8', start, Math.min(end, start + 4096)));
  };
  const onTooLong = (): void => void tooLong++;
  for await (const raw of input) {
    const buf = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const chunkStart = consumed;
    consumed += buf.length;
    lines = [];
    tooLong = 0;
    badEncoding = [];
    repaired = 0;
    const last = scanner.push(buf, onLine, onTooLong);
    // offset stays at the last complete line, so a resumed reader re-reads a partial one
    if (last !== -1) offset = chunkStart + last;
    if (lines.length > 0 || tooLong > 0 || badEncoding.length > 0) yield { lines, tooLong, badEncoding, repaired, offset };
  }
  if (opts.emitPartial !== false) {
    lines = [];
    badEncoding = [];
    repaired = 0;
    scanner.end(onLine);
    if (lines.length > 0 || badEncoding.length > 0) yield { lines, tooLong: 0, badEncoding, repaired, offset: consumed };
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
