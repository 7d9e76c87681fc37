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
 * Yields the complete lines of a stream, batched per read chunk. A line over
 * maxBytes is skipped (counted in tooLong) without being buffered whole.
 * A final line without a trailing newline is yielded at end of input unless
 * emitPartial is false (a tailer re-reads it once its newline arrives).
 */
export async function* splitLines(
  input: AsyncIterable<Buffer | string>,
  opts: { maxBytes?: number; startOffset?: number; emitPartial?: boolean } = {},
): AsyncGenerator<LineChunk> {
  const max = opts.maxBytes ?? MAX_LINE_BYTES;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // inside an over-long line, discarding until the next newline
  let offset = opts.startOffset ?? 0; // just past the last complete line
  let consumed = offset; // all bytes seen
  for await (const raw of input) {
    const buf = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const chunkStart = consumed;
    consumed += buf.length;
    const lines: string[] = [];
    let tooLong = 0;
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      if (skipping) {
        skipping = false;
      } else if (carryLen + (nl - start) > max) {
        tooLong++;
      } else if (carryLen > 0) {
        carry.push(buf.subarray(start, nl));
        lines.push(stripCR(Buffer.concat(carry).toString('utf8')));
      } else {
        lines.push(stripCR(buf.toString('utf8', start, nl)));
      }
      carry = [];
      carryLen = 0;
      start = nl + 1;
      offset = chunkStart + start;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length && !skipping) {
      const rest = buf.subarray(start);
      if (carryLen + rest.length > max) {
        skipping = true;
        tooLong++;
        carry = [];
        carryLen = 0;
      } else {
        carry.push(Buffer.from(rest)); // copy: the stream may reuse its buffer
        carryLen += rest.length;
      }
    }
    // offset stays at the last complete line, so a resumed reader re-reads a partial one
    if (lines.length > 0 || tooLong > 0) yield { lines, tooLong, offset };
  }
  if (carryLen > 0 && !skipping && opts.emitPartial !== false) {
    yield { lines: [stripCR(Buffer.concat(carry).toString('utf8'))], tooLong: 0, offset: consumed };
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
