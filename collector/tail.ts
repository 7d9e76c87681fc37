// Follow a growing file (tail -F): read from a stored offset, keep reading as it
// grows, start over when it is truncated or replaced (rotation). Polls with stat:
// inotify is unreliable on overlay and network filesystems, and a poll of 100 ms
// costs nothing measurable.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { splitLines, MAX_LINE_BYTES, type LineChunk } from './lines.ts';

export interface TailPosition {
  ino: number;
  offset: number;
}

export interface TailOptions {
  signal: AbortSignal;
  /** where to resume (ignored when the file's inode differs) */
  from?: TailPosition;
  pollMs?: number;
  maxLineBytes?: number;
}

export interface TailChunk extends LineChunk {
  ino: number;
  /** true for the first chunk after a rotation or truncation */
  rotated: boolean;
}

async function* readFrom(fh: FileHandle, start: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(256 * 1024);
  let pos = start;
  while (!signal.aborted) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield Buffer.from(buf.subarray(0, bytesRead));
  }
}

export async function* tailFile(path: string, opts: TailOptions): AsyncGenerator<TailChunk> {
  const pollMs = opts.pollMs ?? 100;
  let fh: FileHandle | undefined;
  let ino = -1;
  let offset = 0;
  let rotated = false;
  try {
    while (!opts.signal.aborted) {
      if (fh === undefined) {
        try {
          fh = await open(path, 'r');
        } catch {
          await delay(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
          continue;
        }
        const st = await fh.stat();
        const first = ino === -1;
        offset = first && opts.from && opts.from.ino === st.ino && opts.from.offset <= st.size ? opts.from.offset : 0;
        rotated = !first;
        ino = st.ino;
      }
      // read everything available now, as complete lines; a partial last line is re-read later
      let progressed = false;
      for await (const chunk of splitLines(readFrom(fh, offset, opts.signal), {
        startOffset: offset,
        maxBytes: opts.maxLineBytes ?? MAX_LINE_BYTES,
        emitPartial: false,
      })) {
        offset = chunk.offset;
        progressed = true;
        yield { ...chunk, ino, rotated };
        rotated = false;
      }
      // rotated (a new file at the path) or truncated?
      let current: { ino: number; size: number } | undefined;
      try {
        const s = await stat(path);
        current = { ino: s.ino, size: s.size };
      } catch {
        current = undefined;
      }
      if (current !== undefined && current.ino !== ino) {
        // the old file was read to its end above; switch to the new one
        await fh.close();
        fh = undefined;
        continue;
      }
      if (current !== undefined && current.size < offset) {
        offset = 0;
        rotated = true;
        continue;
      }
      if (!progressed) await delay(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    await fh?.close();
  }
}
