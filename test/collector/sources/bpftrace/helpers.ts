// Shared bits of the bpftrace parser tests.
import { BpftraceParser, type ParserDeps } from '../../../../collector/sources/bpftrace/parse.ts';
import { MemoryStats } from '../../../../collector/stats.ts';
import type { EventOf, RuntimeEvent } from '../../../../collector/event.ts';

/** parse lines (and flush) with test deps: nsecs → ms, NaN → 42 */
export function parseAll(lines: string[], over: Partial<ParserDeps> = {}) {
  const stats = new MemoryStats();
  const p = new BpftraceParser({ node: 'n1', stats, toEpochMs: (ns) => (Number.isFinite(ns) ? ns / 1e6 : 42), ...over });
  const out: RuntimeEvent[] = [];
  p.chunk(lines, out);
  p.flush(out);
  return { out, stats, p };
}

export const of = <K extends RuntimeEvent['kind']>(evs: RuntimeEvent[], k: K) => evs.filter((e) => e.kind === k) as EventOf<K>[];
