// Replay some input through a source's own replay path (a temporary file), collecting
// the events and the stats: what the source makes of exactly these bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSource } from '../../collector/sources/index.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { silentLogger } from '../../collector/log.ts';
import { memorySourceState } from '../../agent/store/source-state.ts';
import type { RuntimeEvent } from '../../collector/event.ts';

export async function replayFile(source: string, content: string | Buffer, node = 'n'): Promise<{ got: RuntimeEvent[]; stats: MemoryStats }> {
  const dir = mkdtempSync(join(tmpdir(), 'hw-replay-'));
  const file = join(dir, 'input');
  writeFileSync(file, content);
  const stats = new MemoryStats();
  const got: RuntimeEvent[] = [];
  try {
    const ctx = { node, signal: new AbortController().signal, log: silentLogger, stats, state: memorySourceState(), now: () => 1_700_000_000_000 };
    for await (const b of findSource(source)!.replay!([file], ctx)) got.push(...b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { got, stats };
}
