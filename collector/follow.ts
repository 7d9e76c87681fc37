// The one file follower (tail -F) of every file source: events, auditd, Tetragon and
// Falco. Polls for growth every pollMs while the file grows; once it has found nothing
// IDLE_POLLS times in a row it waits for the file system to report a change in the
// file's directory (inotify, through fs.watch) and looks only then — or every
// IDLE_FALLBACK_MS, since inotify reports nothing on some network file systems — so an
// idle file costs a look every 2 s, not ten a second (each a read and a stat on libuv's
// threads: half of an idle agent's CPU). Survives rotation by rename (the old
// file is read to its end — a writer's late append included — then the new one from its
// start) and truncation (read again from 0).
//
// Positions are acknowledged, never stored by the follower itself: each chunk carries
// the position just past its last complete line (`end`) and before its first (`start`),
// and the consumer stores one — with savePosition, after everything read up to there is
// committed (the pipeline's batch acknowledgement). A crash therefore re-reads what was
// read but not yet committed (at least once), it never skips it. A position names the
// file (`dev:ino:offset`), so a restart resumes in the right file even if it was rotated
// meanwhile: the rotated file is found next to the live one by its inode.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { realpathSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LineScanner, utf8Line } from './lines.ts';
import type { Logger } from './log.ts';
import type { SourceState } from './sources/types.ts';
import { sleep } from './sleep.ts';

export interface Position {
  dev: number;
  ino: number;
  /** byte offset just past a complete line */
  offset: number;
}

export interface FollowChunk {
  /** complete lines, without their newline (a trailing CR removed) */
  lines: string[];
  /** lines over the 1 MiB cap skipped in this chunk */
  tooLong: number;
  /** lines not valid UTF-8, skipped in this chunk (their start, for the example; reportSkipped counts them) */
  badEncoding: string[];
  /** where this chunk's first line starts */
  start: Position;
  /** just past this chunk's last complete line: where a restart resumes once it is committed */
  end: Position;
}

export interface FollowOptions {
  signal: AbortSignal;
  pollMs: number;
  /** where to start without a stored position */
  startAt: 'beginning' | 'end';
  /** where positions are kept: read here once at start, written only by the consumer (savePosition) */
  state?: SourceState;
  /** the state key of this file's position (default followKey(path)) */
  stateKey?: string;
  /** yield an empty chunk each time the follower catches up (a consumer may time out pending work) */
  idleChunks?: boolean;
  /**
   * true while the consumer needs those idle chunks every pollMs (auditd: an event still
   * being assembled closes on its time-out); otherwise an idle file is looked at only
   * when the file system reports a change, or every idleFallbackMs
   */
  wantsTicks?: () => boolean;
  /** an idle file is looked at at least this often without a reported change (default IDLE_FALLBACK_MS) */
  idleFallbackMs?: number;
  /** the file was reopened after rotation or truncation */
  onReopen?(reason: 'rotated' | 'truncated', detail: string): void;
  /** the file is open and positioned (from here on, what is appended is read) */
  onOpen?(file: string, at: Position): void;
  log?: Logger;
}

const CHUNK = 256 * 1024;
/** polls in a row that found nothing before the follower waits for a reported change */
const IDLE_POLLS = 10;
/** an idle file is looked at this often even without a reported change (inotify is silent on some network file systems) */
const IDLE_FALLBACK_MS = 2000;
/** siblings looked at when searching for a rotated file by inode */
const MAX_SIBLINGS = 256;

export const followKey = (path: string): string => `follow:${path}`;

export function formatPosition(p: Position): string {
  return `${p.dev}:${p.ino}:${p.offset}`;
}

/** `dev:ino:offset`; the older `ino:offset` (no device) is accepted too */
export function parsePosition(v: string | undefined): (Omit<Position, 'dev'> & { dev?: number }) | undefined {
  if (!v) return undefined;
  const m = /^(?:(\d+):)?(\d+):(\d+)$/.exec(v);
  if (!m) return undefined;
  return { ...(m[1] !== undefined ? { dev: Number(m[1]) } : {}), ino: Number(m[2]), offset: Number(m[3]) };
}

/** Store a position: call only once everything read before it is committed. */
export function savePosition(state: SourceState, key: string, p: Position): void {
  state.set(key, formatPosition(p));
}

interface Open {
  fh: FileHandle;
  name: string;
  dev: number;
  ino: number;
  /** bytes read so far */
  offset: number;
  /** this is a rotated file found at start: after its end, continue with the live path from 0 */
  thenLive: boolean;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function openAt(name: string, offset: number, thenLive = false): Promise<Open | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(name, 'r');
  } catch {
    return undefined;
  }
  const st = await fh.stat();
  return { fh, name, dev: st.dev, ino: st.ino, offset: Math.min(offset, st.size), thenLive };
}

const sameFile = (st: Stats, p: { dev?: number; ino: number }): boolean => st.ino === p.ino && (p.dev === undefined || st.dev === p.dev);

/** whether `name` may be `base` or one of its rotated files: it starts with base or base's stem (audit.log.1, tetragon-….log) */
function rotationOf(base: string): (name: string) => boolean {
  const stem = base.replace(/\.[^.]*$/, '');
  return (name) => name.startsWith(base) || (stem.length > 0 && name.startsWith(stem));
}

/** a file next to `path` whose name starts with its name (audit.log.1, tetragon-….log) and has the inode */
async function findRotated(path: string, p: { dev?: number; ino: number }): Promise<string | undefined> {
  const dir = dirname(path);
  const base = basename(path);
  const rotated = rotationOf(base);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const candidates = names.filter((n) => n !== base && rotated(n)).slice(0, MAX_SIBLINGS);
  for (const n of candidates) {
    const st = await statOrNull(join(dir, n));
    if (st && sameFile(st, p)) return join(dir, n);
  }
  return undefined;
}

/** where to start: the stored position (in the live file or a rotated one), else startAt */
async function openStart(path: string, o: FollowOptions, key: string): Promise<Open | undefined> {
  const saved = parsePosition(o.state?.get(key));
  while (!o.signal.aborted) {
    const st = await statOrNull(path);
    if (saved && st && sameFile(st, saved)) {
      if (saved.offset > st.size) o.onReopen?.('truncated', `${path} is shorter (${st.size} bytes) than the stored position ${saved.offset}`);
      const cur = await openAt(path, saved.offset <= st.size ? saved.offset : 0);
      if (cur) return cur;
    } else if (saved) {
      // rotated while we were down? finish the old file first
      const rotated = await findRotated(path, saved);
      if (rotated) {
        const cur = await openAt(rotated, saved.offset, true);
        if (cur) return cur;
      } else if (st) {
        o.log?.warn('stored position is for a file no longer present; reading the current file from the start', { path });
        const cur = await openAt(path, 0);
        if (cur) return cur;
      }
    } else if (st) {
      const cur = await openAt(path, o.startAt === 'end' ? st.size : 0);
      if (cur) return cur;
    }
    await sleep(o.pollMs, o.signal); // not there yet (or between rotate and create)
  }
  return undefined;
}

/** Yields line chunks as the file grows, until the signal aborts. */
export async function* followLines(path: string, o: FollowOptions): AsyncGenerator<FollowChunk> {
  const key = o.stateKey ?? followKey(path);
  let cur = await openStart(path, o, key);
  if (!cur) return;
  o.onOpen?.(cur.name, { dev: cur.dev, ino: cur.ino, offset: cur.offset });
  const buf = Buffer.allocUnsafe(CHUNK);
  let scanner = new LineScanner();
  /** just past the last complete line of the current file */
  let complete = cur.offset;
  let lines: string[] = [];
  let tooLong = 0;
  let badEncoding: string[] = [];
  const onLine = (b: Buffer, s: number, e: number): void => {
    const end = e > s && b[e - 1] === 13 ? e - 1 : e;
    const line = utf8Line(b, s, end);
    if (line !== undefined) lines.push(line);
    else badEncoding.push(b.toString('utf8', s, Math.min(end, s + 4096)));
  };
  const onTooLong = (): void => void tooLong++;
  const at = (offset: number): Position => ({ dev: cur!.dev, ino: cur!.ino, offset });
  // rotation seen once: read the old file to its end again before switching
  let drained = false;
  // A file truncated and rewritten to exactly our offset shows no size change, only a
  // new mtime: then the last bytes we read are compared with what the file holds there
  // now. `verified`: the mtime at which the file was last known to be what we read.
  let verified: number | undefined;
  let tail = Buffer.alloc(0);
  const probe = Buffer.allocUnsafe(64);
  const changes = new Changes(path);
  let empty = 0; // polls in a row that found nothing new
  try {
    while (!o.signal.aborted) {
      const { bytesRead } = await cur.fh.read(buf, 0, CHUNK, cur.offset);
      if (bytesRead > 0) {
        // growing: polled every pollMs (no change reports wanted, one per write)
        empty = 0;
        changes.close();
        const from = cur.offset;
        cur.offset += bytesRead;
        tail = Buffer.from(buf.subarray(Math.max(0, bytesRead - probe.length), bytesRead));
        verified = undefined;
        const start = at(complete);
        lines = [];
        tooLong = 0;
        badEncoding = [];
        const last = scanner.push(buf.subarray(0, bytesRead), onLine, onTooLong);
        // the position stays at the last complete line: a restart re-reads a partial one
        // (and skips an over-long one again rather than reading its tail as a record)
        if (last !== -1) complete = from + last;
        if (lines.length > 0 || tooLong > 0 || badEncoding.length > 0) yield { lines, tooLong, badEncoding, start, end: at(complete) };
        continue;
      }
      // at the end: rotated, truncated, or just idle?
      const st = await statOrNull(path);
      const rotated = cur.thenLive || (st !== null && !sameFile(st, cur));
      if (rotated && st) {
        if (!drained) {
          drained = true; // a writer may have appended between our last read and the rename
          continue;
        }
        drained = false;
        // a writer completes its line before rotating, so a leftover is a whole record
        lines = [];
        badEncoding = [];
        scanner.end(onLine);
        const leftover = lines;
        const leftoverBad = badEncoding;
        const start = at(complete);
        const end = at(cur.offset);
        const next = await openAt(path, 0);
        if (!next) continue; // gone again between stat and open: look again
        await cur.fh.close();
        o.onReopen?.('rotated', `${path} was rotated`);
        o.log?.info('file rotated, switching to the new file', { path });
        cur = next;
        scanner = new LineScanner();
        complete = 0;
        verified = undefined;
        tail = Buffer.alloc(0);
        if (leftover.length > 0 || leftoverBad.length > 0) yield { lines: leftover, tooLong: 0, badEncoding: leftoverBad, start, end };
        continue;
      }
      if (st && (st.size < cur.offset || (st.size === cur.offset && st.mtimeMs !== verified && !(await sameTail(cur, tail, probe))))) {
        o.onReopen?.('truncated', `${path} truncated from ${cur.offset} to ${st.size} bytes`);
        scanner = new LineScanner();
        cur.offset = 0;
        complete = 0;
        verified = undefined;
        tail = Buffer.alloc(0);
        continue;
      }
      verified = st?.mtimeMs;
      if (o.idleChunks) yield { lines: [], tooLong: 0, badEncoding: [], start: at(complete), end: at(complete) };
      empty = o.wantsTicks?.() === true ? 0 : empty + 1;
      if (empty > IDLE_POLLS && changes.armed) await changes.wait(o.idleFallbackMs ?? IDLE_FALLBACK_MS, o.signal);
      // armed, the file is looked at once more: a write just before it is not left waiting
      else if (empty === IDLE_POLLS && changes.arm()) continue;
      else await sleep(o.pollMs, o.signal);
    }
  } finally {
    changes.close();
    await cur.fh.close().catch(() => undefined);
  }
}

/**
 * Changes reported in a followed file's directory (inotify): to the file, to a name that
 * starts with its name or stem (its rotated files, as findRotated looks for them), or
 * unnamed. The directory, not the file: a rotation's new file is a new inode. Armed
 * while the file is idle, closed while it grows (a report per write is not wanted then).
 */
class Changes {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;
  /** the file system cannot report (fs.watch threw or failed): poll */
  private unsupported = false;

  constructor(private readonly path: string) {}

  get armed(): boolean {
    return this.watcher !== undefined;
  }

  /** start listening; false when this file system cannot report changes */
  arm(): boolean {
    if (this.watcher !== undefined) return true;
    if (this.unsupported) return false;
    this.changed = false;
    // a path that is a symlink: its target's directory is where the writes are reported
    let target = this.path;
    try {
      target = realpathSync(this.path);
    } catch {
      // gone for now (rotated, not created again): its own directory
    }
    const own = rotationOf(basename(this.path));
    const tbase = basename(target);
    const relevant = (name: string): boolean => own(name) || name.startsWith(tbase);
    try {
      this.watcher = watch(dirname(target), { persistent: false }, (_event, name) => {
        if (name !== null && !relevant(name)) return;
        this.changed = true;
        this.wake?.();
      });
    } catch {
      this.unsupported = true;
      return false;
    }
    this.watcher.on('error', () => {
      // e.g. the directory removed: back to polling
      this.unsupported = true;
      this.close();
      this.changed = true;
      this.wake?.();
    });
    return true;
  }

  /** until a change (one reported since the last wait counts), ms, or the signal */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.changed || signal.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/** the bytes just before the current offset are still the ones last read there */
async function sameTail(cur: Open, tail: Buffer, probe: Buffer): Promise<boolean> {
  if (tail.length === 0) return true;
  const { bytesRead } = await cur.fh.read(probe, 0, tail.length, cur.offset - tail.length);
  return bytesRead === tail.length && probe.subarray(0, bytesRead).equals(tail);
}

/**
 * Several async streams as one, each item as soon as its stream has it; ends when all
 * have ended. Per stream, order is kept (what acknowledgements rely on).
 */
export async function* mergeStreams<T>(streams: AsyncIterable<T>[]): AsyncGenerator<T> {
  if (streams.length === 1) return yield* streams[0];
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const next = (i: number): Promise<{ i: number; r: IteratorResult<T> }> => its[i].next().then((r) => ({ i, r }));
  const pending = new Map(its.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done === true) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(i));
      yield r.value;
    }
  } finally {
    for (const i of pending.keys()) void its[i].return?.();
  }
}
