// The live path (spawn, parse, restart with backoff, stop) against stand-ins for the
// bpftrace binary, so it runs without root: a script replaying recorded output, and a
// binary that does not exist.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveEvents, replayEvents } from '../../../../collector/sources/bpftrace/index.ts';
import { defaults } from '../../../../collector/sources/bpftrace/config.ts';
import { MemoryStats } from '../../../../collector/stats.ts';
import { createLogger } from '../../../../collector/logger.ts';
import { ProcessCache } from '../../../../collector/enrich/procs.ts';
import { createProcfsAttribution } from '../../../../collector/enrich/attribution.ts';
import { CgroupIdMap } from '../../../../collector/enrich/cgroupid.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { REPO, waitFor } from '../../../support/env.ts';

const FIXTURE = join(REPO, 'test', 'fixtures', 'bpftrace', 'workload.ndjson');

describe('bpftrace live loop with a stand-in child', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hw-bt-live-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function harness(bpftracePath: string) {
    const stats = new MemoryStats();
    const logs: string[] = [];
    const ac = new AbortController();
    const ctx = { node: 'n', signal: ac.signal, log: createLogger({ level: 'debug', write: (l) => logs.push(l) }), stats, state: { get: () => undefined, set() {} }, now: Date.now };
    const events: RuntimeEvent[] = [];
    let ready = 0;
    const cfg = { ...defaults, bpftracePath, mountTracefs: false, restartMinMs: 20, restartMaxMs: 80 };
    const run = (async () => {
      // the source decodes; exe, argv and lineage come from the attribution step, as in the agent
      const attribution = createProcfsAttribution({ processes: new ProcessCache({ reader: { read: () => undefined } }) });
      const hooks = { ids: new CgroupIdMap({ root: join(dir, 'none') }), onReady: () => ready++ };
      for await (const b of liveEvents(cfg, ctx, hooks)) {
        for (const ev of b) attribution.enrich(ev);
        events.push(...b);
      }
    })();
    return { stats, logs, ac, events, run, ready: () => ready };
  }

  it('parses what the child prints, and restarts it with backoff when it exits', async () => {
    const fake = join(dir, 'fake-bpftrace');
    writeFileSync(fake, `#!/bin/sh\ncat '${FIXTURE}'\necho 'Lost 2 events' >&2\necho 'WARNING: something' >&2\nexit 3\n`);
    chmodSync(fake, 0o755);
    const h = harness(fake);
    await waitFor(() => (h.stats.snap.restarts.bpftrace ?? 0) >= 2, { timeoutMs: 20000, what: 'two restarts' });
    h.ac.abort();
    await h.run;
    assert.ok(h.ready() >= 2, 'R record seen once per run');
    assert.ok(h.events.filter((e) => e.kind === 'exec' && e.process.exe === '/bin/true').length >= 2);
    // the process cache was filled from the exec records: file events carry the exe
    const mv = h.events.find((e) => e.kind === 'file_write' && e.op === 'rename');
    assert.equal(mv?.process.exe, '/usr/bin/mv');
    assert.deepEqual(mv?.process.ancestors?.[0]?.exe, '/bin/sh');
    assert.ok((h.stats.snap.dropped.bpftrace?.lost_events ?? 0) >= 4);
    assert.ok(h.logs.some((l) => l.includes('bpftrace exited; restarting') && l.includes('exit 3')));
    assert.ok(h.logs.some((l) => l.includes('WARNING: something')));
  });

  it('reads a child writing one record per write, as bpftrace does, without losing one', async () => {
    // fast enough for windowed reads (one pipe read per window, many records per batch)
    const fake = join(dir, 'chatty-bpftrace');
    writeFileSync(fake, `#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10; do while IFS= read -r l; do printf '%s\\n' "$l"; done < '${FIXTURE}'; done\nexec sleep 600\n`);
    chmodSync(fake, 0o755);
    const once: RuntimeEvent[] = [];
    const ctx = { node: 'n', signal: new AbortController().signal, log: createLogger({ level: 'error' }), stats: new MemoryStats(), state: { get: () => undefined, set() {} }, now: Date.now };
    for await (const b of replayEvents([FIXTURE], ctx)) once.push(...b);
    const h = harness(fake);
    await waitFor(() => h.events.length >= once.length * 10, { timeoutMs: 20000, what: `${once.length * 10} events` });
    h.ac.abort();
    await h.run;
    // relative paths resolve through this machine's /proc live, not in a replay: file names only
    const tally = (evs: RuntimeEvent[], times: number): Record<string, number> => {
      const t: Record<string, number> = {};
      for (const e of evs) {
        const k = `${e.kind} ${e.kind === 'file_write' ? e.path.slice(e.path.lastIndexOf('/') + 1) : ''}`;
        t[k] = (t[k] ?? 0) + times;
      }
      return t;
    };
    assert.deepEqual(tally(h.events, 1), tally(once, 10));
  });

  it('keeps retrying a binary that cannot be spawned, and stops on abort', async () => {
    const h = harness(join(dir, 'no-such-bpftrace'));
    await waitFor(() => (h.stats.snap.restarts.bpftrace ?? 0) >= 3, { timeoutMs: 20000, what: 'three restarts' });
    h.ac.abort();
    await h.run;
    assert.equal(h.events.length, 0);
    assert.ok(h.logs.some((l) => l.includes('spawn failed')));
  });

  it('stops a long-running child on abort', async () => {
    const fake = join(dir, 'slow-bpftrace');
    writeFileSync(fake, `#!/bin/sh\necho '{"type": "printf", "data": "R\\\\t1\\\\n"}'\nexec sleep 600\n`);
    chmodSync(fake, 0o755);
    const h = harness(fake);
    await waitFor(() => h.ready() > 0, { timeoutMs: 10000, what: 'ready' });
    h.ac.abort();
    await h.run;
    assert.equal(h.stats.snap.restarts.bpftrace, undefined);
  });
});
