// Where bpftrace writes its records: a FIFO, i.e. a kernel pipe, not the socket pair
// that spawn()'s stdio 'pipe' makes (libuv creates every child stdio "pipe" with
// socketpair(2)).
//
// bpftrace writes each record with its own write(), ~200 bytes, thousands a second
// under an exec storm. On a Unix stream socket every write is a separate socket buffer:
// allocated by the writer, charged to its memory cgroup, walked and freed one by one by
// the reader, and the socket's send budget counts each one's overhead (several times a
// small record's size), so the socket holds fewer records than its size says. A pipe
// appends small writes to the page it is filling, and a read copies whole pages. Same
// records, same readers (windowed() in window.ts), less work on both sides of it
// (docs/performance.md, session 11: reading bpftrace's output of a 3,750-exec storm
// segment, no parsing, took 54.9 ms of main-thread CPU through the socket pair and 45.4
// through a FIFO).
//
// Node has no mkfifo(3): the FIFO is made by the mkfifo(1) program, in the source's
// private temporary directory, opened at both ends and unlinked at once (the open
// descriptors keep it). When that fails (no mkfifo on PATH), the caller falls back to
// spawn's socket pair: slower, never wrong.
//
// Nor has Node fcntl(2): the pipe is enlarged from its 64 KiB to PIPE_BYTES by the
// pipe-size helper (pipe-size.c, built beside this module), run once with the write end
// as its stdout. A bigger pipe lets the agent read less often under load (window.ts).
// Without the helper the pipe keeps its 64 KiB: more wake-ups, never wrong.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, unlinkSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuplexOptions, Readable } from 'node:stream';

/** what a pipe holds unless enlarged (Linux: 16 pages) */
export const DEFAULT_PIPE_BYTES = 64 * 1024;
/** what the FIFO is enlarged to: /proc/sys/fs/pipe-max-size's default, the most an unprivileged process may ask */
export const PIPE_BYTES = 1024 * 1024;
/** the pipe-size helper, where bin/build.js puts it (absent when the sources run untranspiled) */
export const PIPE_SIZE_HELPER = join(dirname(fileURLToPath(import.meta.url)), 'pipe-size');

export interface FifoOutput {
  /** the write end, for the child's stdout; close it in this process once the child has it */
  writeFd: number;
  /**
   * the read end as a stream that stops reading the pipe after each chunk it buffers (a
   * one-byte high-water mark, as windowed() expects); it ends when every writer has closed
   */
  stream: Readable;
  /** what the pipe holds: PIPE_BYTES once enlarged, else DEFAULT_PIPE_BYTES */
  bytes: number;
  /** why it was not enlarged (no helper, the helper failed), for a log line */
  notEnlarged?: string;
}

/** a FIFO in dir (removed from dir at once: only the two descriptors keep it); undefined when it cannot be made */
export function openFifo(dir: string, mkfifo = 'mkfifo', helper = PIPE_SIZE_HELPER): FifoOutput | undefined {
  const path = join(dir, `out-${process.pid}-${Date.now()}.fifo`);
  try {
    execFileSync(mkfifo, ['-m', '600', path], { stdio: 'ignore', timeout: 10000 });
  } catch {
    return undefined;
  }
  let readFd: number | undefined;
  let writeFd: number | undefined;
  try {
    // the read end first, non-blocking: opening the write end then does not wait for a reader
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    writeFd = openSync(path, constants.O_WRONLY);
    // (net.Socket passes stream options on to its Duplex; its typings leave them out)
    const opts: SocketConstructorOpts & DuplexOptions = { fd: readFd, readable: true, writable: false, readableHighWaterMark: 1 };
    const stream = new Socket(opts);
    const size = enlarge(writeFd, PIPE_BYTES, helper);
    return typeof size === 'number' ? { writeFd, stream, bytes: size } : { writeFd, stream, bytes: DEFAULT_PIPE_BYTES, notEnlarged: size.error };
  } catch {
    if (writeFd !== undefined) closeSync(writeFd);
    if (readFd !== undefined) closeSync(readFd);
    return undefined;
  } finally {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
}

/** the pipe behind fd enlarged to bytes by the helper: the size the kernel gave, or why not */
export function enlarge(fd: number, bytes: number, helper = PIPE_SIZE_HELPER): number | { error: string } {
  if (!existsSync(helper)) return { error: `no ${helper} (built by bin/build.js with a C compiler)` };
  const r = spawnSync(helper, [String(bytes)], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 10000 });
  const said = (r.stderr ?? '').trim();
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: said || `exit ${r.status ?? r.signal}` };
  const got = Number(said);
  return Number.isInteger(got) && got > 0 ? got : { error: `unexpected output: ${said.slice(0, 100)}` };
}
