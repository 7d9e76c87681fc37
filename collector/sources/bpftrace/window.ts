// Reading bpftrace's output in windows: under load, one read of the pipe per window,
// many records per batch.
//
// bpftrace writes every record with its own write(). Read as they came, each write woke
// the agent (epoll, a read, a Buffer, the stream, then every stage of the pipeline) for
// one or two records: 1.4–1.7 records per batch under an exec storm, and that
// per-wake-up work cost more than decoding and judging the records. A wake-up after a
// sleep also starts cold: the same parse costs 2–3× per record when it runs 50 times a
// second as when it runs back to back (docs/performance.md, sessions 11 and 12), so the
// fewer wake-ups the better, and the bound is what the pipe holds.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { getDefaultHighWaterMark, setDefaultHighWaterMark, type Readable } from 'node:stream';
import { sleep } from '../../sleep.ts';

/** a read at least this big means the agent is behind: read on at once, no window */
const BEHIND_BYTES = 32 * 1024;
/** output rate from which reads are windowed: ~500 records/s (bytes per BUSY_SPAN_MS) */
const BUSY_BYTES = 16 * 1024;
const BUSY_SPAN_MS = 100;
/**
 * the output rate a window must leave room for without filling the pipe: 3 MB/s, ~6,500
 * execs/s of ~460 bytes of records each (2.6× the bench's storm)
 */
const FILL_BYTES_PER_MS = 3000;

/**
 * The window for a pipe of pipeBytes: the configured one, or shorter when the pipe would
 * fill before it ends at FILL_BYTES_PER_MS (a full pipe blocks bpftrace, which then
 * stops draining its perf buffers and, past them, loses records). 64 KiB (a pipe as
 * made): 21 ms; 1 MiB (fifo.ts enlarges it): 349 ms, so the configured 100 ms holds.
 */
export function windowFor(readWindowMs: number, pipeBytes: number): number {
  return Math.min(readWindowMs, Math.floor(pipeBytes / FILL_BYTES_PER_MS));
}

/**
 * The child's stdout in batches: under load, at most one read of the pipe per window.
 *
 * The stream is made with a one-byte high-water mark (fifo.ts, or spawnQuiet for the
 * socket pair it falls back to): after each read of the pipe it stops reading, and the
 * kernel's pipe buffer collects bpftrace's writes without waking anyone. Once output
 * flows faster than BUSY_BYTES per BUSY_SPAN_MS, the next read after a chunk waits
 * `windowMs` (windowFor), and the chunk it gets is what arrived meanwhile: a record
 * waits at most two windows. Below that rate every chunk is read as it comes, as are
 * the first records after a quiet spell: a relative path is resolved through
 * /proc/PID/cwd, which is gone once a short-lived process exits. With nothing to read
 * the loop waits for 'readable': an idle agent runs no timer. A chunk of BEHIND_BYTES or
 * more means the pipe may hold more (a read takes at most 64 KiB): no wait. (A blocked
 * writer backs up into bpftrace's perf buffers, which count what they lose.)
 */
export async function* windowed(stream: Readable, windowMs: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  let spanStart = 0;
  let spanBytes = 0;
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      const now = performance.now();
      if (now - spanStart > BUSY_SPAN_MS) {
        spanStart = now;
        spanBytes = 0;
      }
      spanBytes += chunk.length;
      yield chunk;
      if (windowMs > 0 && spanBytes >= BUSY_BYTES && chunk.length < BEHIND_BYTES) await sleep(windowMs, signal);
      continue;
    }
    if (stream.readableEnded || stream.destroyed) return;
    await new Promise<void>((res) => {
      const done = (): void => {
        stream.off('readable', done);
        stream.off('end', done);
        stream.off('close', done);
        res();
      };
      stream.on('readable', done);
      stream.on('end', done);
      stream.on('close', done);
    });
  }
}

/**
 * spawn() whose stdout stream stops reading the pipe after every chunk it buffers (see
 * windowed): streams take their high-water mark from the process default when they
 * are made, and spawn makes its pipes synchronously, so the default is lowered around
 * the call only.
 */
export function spawnQuiet(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const prev = getDefaultHighWaterMark(false);
  setDefaultHighWaterMark(false, 1);
  try {
    return spawn(cmd, args, opts);
  } finally {
    setDefaultHighWaterMark(false, prev);
  }
}
