// The falco source on files: replay of the shared alerts and live following of a
// file_output file (HTTP ingest is covered by test/e2e/falco-http.test.ts).
import { BATCH_ACK, type AckableBatch } from '../../../../collector/sources/types.ts';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import falco from '../../../../collector/sources/falco/index.ts';
import { defaults } from '../../../../collector/sources/falco/config.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { SHARED_FIXTURES, requireSharedFixtures, waitFor } from '../../../support/env.ts';
import { testContext } from '../tetragon/context.ts';

describe('falco source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-falco-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the shared alerts; node comes from the alert', async function () {
    requireSharedFixtures(this);
    const ctx = testContext();
    const out: RuntimeEvent[] = [];
    for await (const b of falco.replay!([join(SHARED_FIXTURES, 'falco', 'falco-alerts.jsonl')], ctx)) out.push(...b);
    assert.equal(out.length, 8);
    assert.equal(ctx.stats.snap.received.falco, 20);
    assert.equal(ctx.stats.totalBad(), 0);
    assert.equal(out[out.length - 1].node, 'x86');
  });

  it('follows a file_output file', async function () {
    requireSharedFixtures(this);
    const lines = readFileSync(join(SHARED_FIXTURES, 'falco', 'falco-alerts.jsonl'), 'utf8').split('\n');
    const file = join(dir, 'events.txt');
    writeFileSync(file, '');
    const ac = new AbortController();
    const ctx = testContext(ac.signal);
    const seen: RuntimeEvent[] = [];
    const run = (async () => {
      const cfg = { ...defaults, paths: [file], pollMs: 20, http: { ...defaults.http, enabled: false } };
      for await (const b of falco.live!(cfg, ctx)) {
        seen.push(...b);
        (b as AckableBatch)[BATCH_ACK]?.(); // as the pipeline does once the batch is committed
      }
    })();
    try {
      await waitFor(() => ctx.opened > 0, { what: 'follower open' });
      appendFileSync(file, lines[19] + '\n' + 'garbage\n' + lines[8] + '\n');
      await waitFor(() => seen.length === 2, { what: 'two events' });
      assert.deepEqual(seen.map((e) => e.kind), ['file_open', 'connect']);
      assert.equal(ctx.stats.snap.bad.falco.invalid_json, 1);
    } finally {
      ac.abort();
      await run;
    }
  });
});
