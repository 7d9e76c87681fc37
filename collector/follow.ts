// Following a growing log file (tail -F): polls for growth, survives rotation by
// rename (the old file is read to its end, then the new one from its start) and
// truncation (read again from 0). Polling, not fs.watch: inotify misses events on
// some overlay and network filesystems, and a 250 ms poll is cheap.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { splitLines, type LineChunk } from './lines.ts';
import type { SourceState } from './sources/types.ts';
import { sleep } from './sleep.ts';

export interface FollowOptions {
  signal: AbortSignal;
  pollMs: number;
  /** read existing content first (else start at the end, or at the saved offset) */
  fromStart: boolean;
  /** remembers {inode, offset} so a restarted agent resumes where it stopped */
  state?: SourceState;
  /** called when the file is reopened after rotation or truncation */
  onReopen?(reason: 'rotated' | 'truncated'): void;
}

const stateKey = (path: string) => `follow:${path}`;

/** Yields line chunks as the file grows, until the signal aborts. */
export async function* followLines(path: string, opts: FollowOptions): AsyncGenerator<LineChunk> {
  let first = true;
  while (!opts.signal.aborted) {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      await sleep(opts.pollMs, opts.signal); // not there yet (or between rotate and create)
      continue;
    }
    try {
      const st = await fh.stat();
      let pos = 0;
      if (first) {
        const saved = opts.state?.get(stateKey(path))?.split(':');
        if (saved && Number(saved[0]) === st.ino && Number(saved[1]) <= st.size) pos = Number(saved[1]);
        else if (!opts.fromStart) pos = st.size;
      }
      first = false;
      opts.state?.set(stateKey(path), `${st.ino}:${pos}`);
      const gen = { reason: undefined as 'rotated' | 'truncated' | undefined };
      for await (const chunk of splitLines(readGrowing(fh, st.ino, pos, path, opts, gen), { startOffset: pos })) {
        opts.state?.set(stateKey(path), `${st.ino}:${chunk.offset}`);
        yield chunk;
      }
      if (gen.reason) opts.onReopen?.(gen.reason);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

/** Byte chunks from `pos` on; returns at rotation/truncation (reason set) or abort. */
async function* readGrowing(
  fh: FileHandle,
  ino: number,
  start: number,
  path: string,
  opts: FollowOptions,
  out: { reason: 'rotated' | 'truncated' | undefined },
): AsyncGenerator<Buffer> {
  let pos = start;
  const buf = Buffer.allocUnsafe(256 * 1024);
  // mtime seen at the previous end-of-file check, and whether bytes came since: a file
  // truncated and rewritten to exactly our offset shows no size change, only a new mtime
  let eofMtime: number | undefined;
  let readSince = false;
  while (!opts.signal.aborted) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead > 0) {
      pos += bytesRead;
      readSince = true;
      yield Buffer.from(buf.subarray(0, bytesRead));
      continue;
    }
    // at the end: has the file been replaced or truncated?
    const cur = await stat(path).catch(() => undefined);
    if (cur && cur.ino !== ino) {
      // rotated: drain what the writer appended to the old file before the rename
      const again = await fh.read(buf, 0, buf.length, pos);
      if (again.bytesRead > 0) {
        pos += again.bytesRead;
        yield Buffer.from(buf.subarray(0, again.bytesRead));
        continue;
      }
      out.reason = 'rotated';
      return;
    }
    if (cur && (cur.size < pos || (cur.size === pos && !readSince && eofMtime !== undefined && cur.mtimeMs !== eofMtime))) {
      out.reason = 'truncated';
      return;
    }
    eofMtime = cur?.mtimeMs;
    readSince = false;
    await sleep(opts.pollMs, opts.signal);
  }
}
