// The explicit source registry: one line per source.
import type { SourceDefinition } from './types.ts';
import events from './events/index.ts';

export const sources: SourceDefinition<unknown>[] = [
  events,
];

export function findSource(name: string): SourceDefinition<unknown> | undefined {
  return sources.find((s) => s.name === name);
}
