// Builds the bpftrace program text from the shipped habitwatch.bt: keeps only the blocks
// whose tracepoints exist on this kernel (so one file works from 5.x to current kernels,
// e.g. fchmodat2 and openat2 are missing on older ones) and fills in the interval.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PROGRAM_FILE = join(dirname(fileURLToPath(import.meta.url)), 'habitwatch.bt');

export interface Block {
  /** tracepoints as `category/event`, empty for blocks that need none (interval, END) */
  needs: string[];
  text: string;
}

const NEEDS = /^\/\/ @needs:(.*)$/;

/** splits the program at `// @needs:` lines; text before the first one is a header */
export function splitBlocks(source: string): { header: string; blocks: Block[] } {
  const lines = source.split('\n');
  const header: string[] = [];
  const blocks: Block[] = [];
  let cur: Block | undefined;
  for (const line of lines) {
    const m = NEEDS.exec(line);
    if (m) {
      cur = { needs: m[1].trim().split(/\s+/).filter(Boolean), text: '' };
      blocks.push(cur);
      continue;
    }
    if (cur) cur.text += line + '\n';
    else header.push(line);
  }
  return { header: header.join('\n'), blocks };
}

export interface BuildOptions {
  intervalS: number;
  /** does this tracepoint exist? defaults to looking in tracefs */
  hasTracepoint?: (tp: string) => boolean;
  tracefs?: string;
  source?: string;
  /** tracepoints to leave out on purpose (config), as `category/event` */
  exclude?: string[];
}

export interface BuiltProgram {
  text: string;
  /** tracepoints left out because the kernel lacks them */
  missing: string[];
}

export function buildProgram(opts: BuildOptions): BuiltProgram {
  const tracefs = opts.tracefs ?? '/sys/kernel/tracing';
  const has = opts.hasTracepoint ?? ((tp: string) => existsSync(join(tracefs, 'events', tp)));
  const { blocks } = splitBlocks(opts.source ?? readFileSync(PROGRAM_FILE, 'utf8'));
  const missing: string[] = [];
  let text = '';
  const exclude = new Set(opts.exclude ?? []);
  for (const b of blocks) {
    if (b.needs.some((tp) => exclude.has(tp))) continue;
    const absent = b.needs.filter((tp) => !has(tp));
    if (absent.length > 0) {
      missing.push(...absent);
      continue;
    }
    text += b.text;
  }
  const interval = Math.max(1, Math.round(opts.intervalS));
  return { text: text.replaceAll('__INTERVAL_S__', String(interval)), missing };
}
