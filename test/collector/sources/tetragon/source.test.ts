// The tetragon source end to end on files: replay of the shared samples, and live
// following of a growing file through rotation and truncation.
import { BATCH_ACK, type AckableBatch } from '../../../../collector/sources/types.ts';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tetragon from '../../../../collector/sources/tetragon/index.ts';
import { defaults } from '../../../../collector/sources/tetragon/config.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { testContext } from './context.ts';
import { REPO, SHARED_FIXTURES, requireSharedFixtures, waitFor } from '../../../support/env.ts';

const exec = (pid: number, bin: string) =>
  JSON.stringify({ process_exec: { process: { pid, binary: bin, arguments: `-n ${pid}` } }, time: '2025-01-01T00:00:00Z' });

describe('tetragon source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-tetragon-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the shared samples, counting records and bad lines', async function () {
    requireSharedFixtures(this);
    const file = join(dir, 'mixed.jsonl');
    const sample = readFileSync(join(SHARED_FIXTURES, 'tetragon', 'docs-examples.jsonl'), 'utf8');
    writeFileSync(file, sample + 'not json\n{"weird":1}\n\n' + readFileSync(join(SHARED_FIXTURES, 'tetragon', 'testdata-events.jsonl'), 'utf8'));
    const ctx = testContext();
    const out: RuntimeEvent[] = [];
    for await (const b of tetragon.replay!([file], ctx)) out.push(...b);
    assert.equal(ctx.stats.snap.received.tetragon, 20);
    assert.deepEqual(ctx.stats.snap.bad.tetragon, { invalid_json: 1, unknown_event: 1 });
    // 17 docs lines minus 1 exit and 2 throttles, plus 3 execs
    assert.equal(out.length, 17);
    assert.ok(out.every((e) => e.source === 'tetragon'));
  });

  it('replays our synthetic kprobe lines: connect, listen, writes, rate-limit drops', async () => {
    const ctx = testContext();
    const out: RuntimeEvent[] = [];
    const file = join(REPO, 'test', 'fixtures', 'tetragon', 'synthetic-kprobes.jsonl');
    for await (const b of tetragon.replay!([file], ctx)) out.push(...b);
    assert.deepEqual(out.map((e) => e.kind), ['exec', 'connect', 'listen', 'file_write', 'file_write']);
    assert.ok(out.every((e) => e.workload?.id === 'shop/Deployment/api' && e.container?.name === 'api'));
    assert.equal(ctx.stats.snap.dropped.tetragon.upstream_rate_limit, 17);
  });

  it('follows a growing file across rotation and truncation', async () => {
    const file = join(dir, 'tetragon.log');
    writeFileSync(file, exec(1, '/old/before-start') + '\n');
    const ac = new AbortController();
    const ctx = testContext(ac.signal);
    const seen: RuntimeEvent[] = [];
    const run = (async () => {
      for await (const b of tetragon.live!({ ...defaults, paths: [file], pollMs: 20 }, ctx)) {
        seen.push(...b);
        (b as AckableBatch)[BATCH_ACK]?.(); // as the pipeline does once the batch is committed
      }
    })();
    try {
      const pids = () => seen.map((e) => e.process.pid);
      // starts at the end (once open): the line already there is not replayed
      await waitFor(() => ctx.opened > 0, { what: 'follower open' });
      appendFileSync(file, exec(2, '/bin/a') + '\n' + exec(3, '/bin/b').slice(0, 20));
      await waitFor(() => pids().includes(2), { what: 'pid 2' });
      appendFileSync(file, exec(3, '/bin/b').slice(20) + '\n');
      await waitFor(() => pids().includes(3), { what: 'pid 3 (line completed later)' });
      renameSync(file, file + '.1');
      writeFileSync(file, exec(4, '/bin/c') + '\n');
      await waitFor(() => pids().includes(4), { what: 'pid 4 after rotation' });
      truncateSync(file, 0);
      appendFileSync(file, exec(5, '/bin/d') + '\n');
      await waitFor(() => pids().includes(5), { what: 'pid 5 after truncation' });
      assert.deepEqual(pids(), [2, 3, 4, 5]);
      assert.deepEqual(seen[1].process.args, ['/bin/b', '-n', '3']);
      assert.ok(ctx.stats.snap.restarts.tetragon >= 2);
      // the offset of what was acknowledged is remembered for a restart
      assert.match(ctx.state.get(`follow:${file}`) ?? '', /^\d+:\d+:\d+$/);
    } finally {
      ac.abort();
      await run;
    }
  });
});
