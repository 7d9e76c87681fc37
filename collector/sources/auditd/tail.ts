// Follows audit.log like `tail -F`, with a resumable position. auditd rotates by
// renaming audit.log → audit.log.1 and creating a new audit.log: the old file is
// read to its end (a partial last line is completed by then) before switching.
// Truncation in place restarts at 0. The position is stored as `dev:ino:offset` so
// a restart resumes in the right file, even if it was rotated meanwhile.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Logger } from '../../log.ts';
import type { SourceState } from '../types.ts';
import { LineScanner } from '../../lines.ts';
import { sleep } from '../../sleep.ts';

export const POSITION_KEY = 'position';

export interface TailOptions {
  path: string;
  pollMs: number;
  startAt: 'end' | 'beginning';
  signal: AbortSignal;
  state: SourceState;
  log: Logger;
  /** a line over the cap was skipped, or the file was truncated */
  onBad?(reason: string, detail: string): void;
}

interface Open {
  fh: FileHandle;
  dev: number;
  ino: number;
  offset: number;
  name: string;
}

const CHUNK = 256 * 1024;

export function parsePosition(v: string | undefined): { dev: number; ino: number; offset: number } | undefined {
  if (!v) return undefined;
  const m = /^(\d+):(\d+):(\d+)$/.exec(v);
  return m ? { dev: Number(m[1]), ino: Number(m[2]), offset: Number(m[3]) } : undefined;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}


/**
 * Yields batches of complete lines; yields an empty batch whenever it is idle
 * (caught up), so the caller can close timed-out events.
 */
export async function* tailLog(o: TailOptions): AsyncGenerator<string[]> {
  const buf = Buffer.allocUnsafe(CHUNK);
  // the same line rules as every other reader (lines.ts): the 1 MiB cap, a partial
  // last line carried to the next read; a new scanner for each file (or truncation)
  let scanner = new LineScanner();
  /** offset just past the last complete line of the current file: where a restart resumes */
  let complete = 0;
  let cur: Open | undefined;
  /** after the current (rotated) file is drained, continue with the live path from 0 */
  let thenLive = false;
  /** rotation seen once: read the old file to its end again before switching */
  let drained = false;

  const openFile = async (name: string, offset: number): Promise<Open | undefined> => {
    let fh: FileHandle;
    try {
      fh = await open(name, 'r');
    } catch {
      return undefined;
    }
    const st = await fh.stat();
    return { fh, dev: st.dev, ino: st.ino, offset: Math.min(offset, st.size), name };
  };

  const save = (): void => {
    if (cur) o.state.set(POSITION_KEY, `${cur.dev}:${cur.ino}:${cur.offset}`);
  };

  let lines: string[] = [];
  const onLine = (b: Buffer, start: number, end: number): void => void lines.push(b.toString('utf8', start, end));
  const onTooLong = (): void => o.onBad?.('line_too_long', `${cur?.name}: line over 1 MiB`);

  // where to start
  {
    const saved = parsePosition(o.state.get(POSITION_KEY));
    while (!o.signal.aborted && !cur) {
      const st = await statOrNull(o.path);
      if (saved && st && st.dev === saved.dev && st.ino === saved.ino) {
        cur = await openFile(o.path, saved.offset <= st.size ? saved.offset : 0);
      } else if (saved) {
        // rotated while we were down? finish the old file first
        const rotated = await statOrNull(o.path + '.1');
        if (rotated && rotated.dev === saved.dev && rotated.ino === saved.ino) {
          cur = await openFile(o.path + '.1', saved.offset);
          thenLive = true;
        } else if (st) {
          o.log.warn('auditd: stored position is for a file no longer present; reading the current log from the start', {
            path: o.path,
          });
          cur = await openFile(o.path, 0);
        }
      } else if (st) {
        cur = await openFile(o.path, o.startAt === 'end' ? st.size : 0);
      }
      if (!cur) await sleep(o.pollMs, o.signal);
    }
    complete = cur?.offset ?? 0;
    save();
  }

  try {
    while (!o.signal.aborted && cur) {
      const { bytesRead } = await cur.fh.read(buf, 0, CHUNK, cur.offset);
      if (bytesRead > 0) {
        const at = cur.offset;
        cur.offset += bytesRead;
        lines = [];
        const last = scanner.push(buf.subarray(0, bytesRead), onLine, onTooLong);
        // store the offset of the last complete line, so a restart re-reads a partial one
        // (and skips an over-long one again rather than reading its tail as a record)
        if (last !== -1) complete = at + last;
        o.state.set(POSITION_KEY, `${cur.dev}:${cur.ino}:${complete}`);
        if (lines.length > 0) yield lines;
        continue;
      }
      // at the end of the current file: rotated, truncated, or just idle?
      const st = await statOrNull(o.path);
      const rotated = thenLive || (st !== null && (st.ino !== cur.ino || st.dev !== cur.dev));
      if (rotated && st) {
        if (!drained) {
          // auditd may have appended between our last read and the rename
          drained = true;
          continue;
        }
        drained = false;
        // a writer completes its line before rotating, so a leftover is a whole record
        lines = [];
        scanner.end(onLine);
        const leftover = lines;
        scanner = new LineScanner();
        await cur.fh.close();
        o.log.info('auditd: log rotated, switching to the new file', { path: o.path });
        cur = await openFile(o.path, 0);
        complete = 0;
        thenLive = false;
        save();
        if (leftover.length > 0) yield leftover;
        continue;
      }
      const size = (await cur.fh.stat()).size;
      if (size < cur.offset) {
        o.onBad?.('truncated', `${cur.name} truncated from ${cur.offset} to ${size} bytes`);
        scanner = new LineScanner();
        cur.offset = 0;
        complete = 0;
        save();
        continue;
      }
      yield [];
      await sleep(o.pollMs, o.signal);
    }
  } finally {
    await cur?.fh.close().catch(() => undefined);
  }
}
