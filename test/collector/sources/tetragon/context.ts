// A SourceContext for source tests: in-memory stats and state, silent logger.
import { MemoryStats } from '../../../../collector/stats.ts';
import { silentLogger, type Logger } from '../../../../collector/log.ts';
import type { SourceContext } from '../../../../collector/sources/types.ts';

export function testContext(signal = new AbortController().signal, log: Logger = silentLogger): SourceContext & { stats: MemoryStats } {
  const kv = new Map<string, string>();
  return {
    node: 'test-node',
    signal,
    log,
    stats: new MemoryStats(),
    state: { get: (k) => kv.get(k), set: (k, v) => void kv.set(k, v) },
    now: () => Date.now(),
  };
}
