// The event-loop delay the agent reports is the delay, not the sampling interval plus
// the delay: monitorEventLoopDelay records whole intervals between its timer's runs, so
// an idle loop would otherwise read SAMPLE_MS (100 ms) — twice the 50 ms budget — and a
// stall would read 100 ms longer than it was.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { monitorLoop, SAMPLE_MS } from '../../agent/loop-health.ts';
import { waitFor } from '../support/env.ts';

describe('event-loop health', () => {
  it('an idle loop reads a delay near 0, not the sampling interval; a stall reads at least its length past one interval', async () => {
    const loop = monitorLoop(new Registry());
    try {
      loop.started();
      await waitFor(() => loop.sinceStart().samples >= 5, { what: 'five samples of an idle loop' });
      const idle = loop.sinceStart();
      assert.ok(idle.p50 < SAMPLE_MS / 2, `idle p50 ${idle.p50} ms`);
      // a synchronous stretch of 3 sampling intervals: the sample due inside it is late by ≥ 2 of them
      const until = performance.now() + 3 * SAMPLE_MS;
      while (performance.now() < until);
      await waitFor(() => loop.sinceStart().max >= 2 * SAMPLE_MS, { what: 'the stall recorded' });
      assert.ok(loop.sinceStart().max >= 2 * SAMPLE_MS);
    } finally {
      loop.stop();
    }
  });
});
