// A SourceContext for source tests: in-memory stats and state, silent logger.
import { MemoryStats } from '../../../../collector/stats.ts';
import { silentLogger, type Logger } from '../../../../collector/log.ts';
import type { SourceContext } from '../../../../collector/sources/types.ts';

/** `opened` counts the files a follower has positioned itself in (ctx.observing(true)) */
export function testContext(signal = new AbortController().signal, log: Logger = silentLogger): SourceContext & { stats: MemoryStats; opened: number } {
  const kv = new Map<string, string>();
  const ctx: SourceContext & { stats: MemoryStats; opened: number } = {
    opened: 0,
    observing: (ok: boolean) => void (ok && ctx.opened++),
    node: 'test-node',
    signal,
    log,
    stats: new MemoryStats(),
    state: { get: (k: string) => kv.get(k), set: (k: string, v: string) => void kv.set(k, v) },
    now: () => Date.now(),
  };
  return ctx;
}
