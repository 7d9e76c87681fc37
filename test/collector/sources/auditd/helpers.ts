// Shared bits for the auditd tests.
import { MemoryStats } from '../../../../collector/stats.ts';
import { silentLogger } from '../../../../collector/log.ts';
import type { SourceContext } from '../../../../collector/sources/types.ts';

/** `opened`: files the follower has positioned itself in (ctx.observing(true)) */
export type TestContext = SourceContext & { stats: MemoryStats; store: Map<string, string>; opened: number; abort(): void };

export function testContext(store = new Map<string, string>()): TestContext {
  const ac = new AbortController();
  const ctx: TestContext = {
    opened: 0,
    observing: (ok) => void (ok && ctx.opened++),
    node: 'test-node',
    signal: ac.signal,
    log: silentLogger,
    stats: new MemoryStats(),
    store,
    state: { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) },
    now: () => Date.now(),
    abort: () => ac.abort(),
  };
  return ctx;
}
