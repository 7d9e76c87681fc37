// The explicit source registry: one line per source.
import type { SourceDefinition } from './types.ts';
import events from './events/index.ts';
import auditd from './auditd/index.ts';
import bpftrace from './bpftrace/index.ts';
import tetragon from './tetragon/index.ts';
import falco from './falco/index.ts';
import procfs from './procfs/index.ts';

export const sources: SourceDefinition<unknown>[] = [
  events,
  auditd,
  bpftrace,
  tetragon,
  falco,
  procfs,
];

export function findSource(name: string): SourceDefinition<unknown> | undefined {
  return sources.find((s) => s.name === name);
}
