// The one sleep and the one backoff every loop uses.
import assert from 'node:assert/strict';
import { sleep } from '../../collector/sleep.ts';
import { Backoff, backoffMs } from '../../collector/backoff.ts';

describe('sleep and backoff (one of each)', () => {
  it('sleep resolves when its signal aborts, never rejects', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    assert.ok(performance.now() - t0 < 30_000);
    await sleep(60_000, ac.signal); // already aborted: at once
    await sleep(0);
  });

  it('Backoff grows from initial to the ceiling with jitter, and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, rand: () => 1 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
    assert.equal(b.attempts, 6);
    b.reset();
    assert.equal(b.next(), 100);
    const low = new Backoff({ initialMs: 100, maxMs: 1000, rand: () => 0 });
    assert.deepEqual([low.next(), low.next(), low.next()], [100, 100, 200], 'never below half the ceiling, nor below initial');
    for (let i = 1; i < 30; i++) {
      const d = backoffMs(i, 1000, 30_000);
      assert.ok(d >= 1000 && d <= 30_000, String(d));
    }
  });
});
