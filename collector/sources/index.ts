// The explicit source registry: one line per source.
import type { SourceDefinition } from './types.ts';
import events from './events/index.ts';
import auditd from './auditd/index.ts';
import bpftrace from './bpftrace/index.ts';

export const sources: SourceDefinition<unknown>[] = [
  events,
  auditd,
  bpftrace,
];

export function findSource(name: string): SourceDefinition<unknown> | undefined {
  return sources.find((s) => s.name === name);
}
