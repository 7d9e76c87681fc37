// The one sleep of the code base: node:timers/promises, cut short (never rejected)
// when the signal aborts, so a loop can `await sleep(ms, signal)` and then check
// `signal.aborted` instead of catching an AbortError.
import { setTimeout as wait } from 'node:timers/promises';

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await wait(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
}
