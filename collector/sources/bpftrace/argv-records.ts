// argv records (H; A in older recordings) waiting for their exec record (P, E, X), and
// the argv they make. habitwatch.bt prints an exec's argv chunks, then its P record, from
// one probe run: on one CPU, so they reach the output together unless records were lost
// or another CPU's records came between. The usual exec (one chunk, its P next) is held
// in four fields and decoded through ArgvMemo; anything else (more chunks, records of
// several execs interleaved) waits in a map by thread id, as every record did before.
import type { SourceStats } from '../../stats.ts';
import { argvFromBytes, decodeArgv, decodeHexBytes } from './decode.ts';
import { SOURCE } from './files.ts';

export const ARG_CHUNK = 180;
export const ARG_CHUNKS = 8;
/** argv waiting for an exec record, at most; past it they are counted and dropped */
const MAX_WAITING = 8192;

interface PendingArgs {
  argStart: string;
  /** hex chunks (H records) or %r chunks (A records, older recordings) */
  hex: boolean;
  chunks: string[];
}

export class ArgvRecords {
  // the one-chunk argv last read, waiting for its exec record (tid -1: none)
  private tid = -1;
  private start = '';
  private hex = true;
  private text = '';
  private readonly waiting = new Map<number, PendingArgs>();
  private readonly memo = new ArgvMemo();
  /** set by argv(): the argv it returned is not the whole of it */
  partial = false;

  constructor(private readonly stats: SourceStats) {}

  /** H|A tid argStart idx chunk: one chunk of an exec's argv (fields already checked) */
  add(tid: number, argStart: string, idx: number, text: string, hex: boolean): void {
    if (idx === 0 && this.tid < 0 && !this.waiting.has(tid)) {
      this.tid = tid;
      this.start = argStart;
      this.hex = hex;
      this.text = text;
      return;
    }
    this.spill();
    this.wait(tid, argStart, idx, text, hex);
  }

  private wait(tid: number, argStart: string, idx: number, text: string, hex: boolean): void {
    let p = this.waiting.get(tid);
    if (!p || p.argStart !== argStart || p.hex !== hex) {
      if (p) this.stats.dropped(SOURCE, 'unpaired_argv', 1);
      p = { argStart, hex, chunks: [] };
      this.waiting.set(tid, p);
      if (this.waiting.size > MAX_WAITING) {
        // exec records lost wholesale: do not let orphans pile up
        this.stats.dropped(SOURCE, 'unpaired_argv', this.waiting.size);
        this.waiting.clear();
        this.waiting.set(tid, p);
      }
    }
    p.chunks[idx] = text;
  }

  /**
   * The argv of tid's exec whose argument area starts at argStart and is argLen bytes
   * (its waiting chunks removed): `partial` tells whether anything is missing (chunks
   * lost, unreadable, or past the eight printed). [] when no chunk came.
   */
  argv(tid: number, argStart: string, argLen: number): string[] {
    this.partial = false;
    if (this.tid === tid) {
      this.tid = -1;
      if (this.start === argStart && argLen > 0 && argLen <= ARG_CHUNK) {
        const args = this.hex ? this.memo.get(this.text) : undefined;
        if (args !== undefined) return args;
      }
      this.wait(tid, this.start, 0, this.text, this.hex);
    }
    const pending = this.waiting.get(tid);
    if (pending) this.waiting.delete(tid);
    if (!pending || pending.argStart !== argStart) {
      if (pending) this.stats.dropped(SOURCE, 'unpaired_argv', 1);
      if (argLen > 0) this.partial = true; // argv records lost or unreadable
      return [];
    }
    const want = Math.min(Math.ceil(Math.max(argLen, 0) / ARG_CHUNK), ARG_CHUNKS);
    let complete = argLen <= ARG_CHUNK * ARG_CHUNKS;
    let got = want;
    for (let i = 0; i < want; i++) {
      if (pending.chunks[i] === undefined) {
        complete = false;
        got = i;
        break;
      }
    }
    let args: string[];
    if (pending.hex) {
      const parts: Buffer[] = [];
      for (let i = 0; i < got; i++) {
        const b = decodeHexBytes(pending.chunks[i]);
        if (b === undefined) {
          this.stats.bad(SOURCE, 'bad_argv_record', pending.chunks[i]);
          complete = false;
          break;
        }
        parts.push(b);
      }
      args = argvFromBytes(parts.length === 1 ? parts[0] : Buffer.concat(parts), complete);
    } else args = decodeArgv(pending.chunks.slice(0, got).join(''), complete);
    if (!complete) this.partial = true;
    return args;
  }

  /** argv still waiting (end of input, shutdown): counted as unpaired, forgotten */
  flush(): void {
    this.spill();
    if (this.waiting.size > 0) this.stats.dropped(SOURCE, 'unpaired_argv', this.waiting.size);
    this.waiting.clear();
  }

  /** the held chunk into the map, as any other waiting argv */
  private spill(): void {
    if (this.tid < 0) return;
    const tid = this.tid;
    this.tid = -1;
    this.wait(tid, this.start, 0, this.text, this.hex);
  }
}

/**
 * argv arrays by the hex of their one chunk (a command line of ≤ 180 bytes, complete):
 * the same command line run again (a probe's command, a cron job, a shell's loop) gets
 * the same array, decoded once. Events share it, so it is never changed in place (the
 * pipeline's redaction replaces an argv, collector/redact-event.ts), and its strings
 * are the same strings each time: the redaction's lookups of them find their hash
 * computed. Bounded: full, it starts over. The key is a copy, not a slice of the
 * record's line, which would keep the whole chunk read from bpftrace alive.
 */
export class ArgvMemo {
  private readonly byHex = new Map<string, string[]>();
  constructor(private readonly max = 4096) {}

  /** the argv of one complete %rh chunk; undefined when it is not that form */
  get(hex: string): string[] | undefined {
    const known = this.byHex.get(hex);
    if (known !== undefined) return known;
    const bytes = decodeHexBytes(hex);
    if (bytes === undefined) return undefined;
    const args = argvFromBytes(bytes, true);
    if (this.byHex.size >= this.max) this.byHex.clear();
    this.byHex.set(Buffer.from(hex, 'latin1').toString('latin1'), args);
    return args;
  }
}
