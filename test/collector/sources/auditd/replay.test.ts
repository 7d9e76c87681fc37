// Replay of our own recordings (test/fixtures/auditd, see README there) through the
// registered source: RAW and ENRICHED formats, an event straddling a rotation.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO } from '../../../support/env.ts';
import { findSource } from '../../../../collector/sources/index.ts';
import type { MemoryStats } from '../../../../collector/stats.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { testContext } from './helpers.ts';

const FIX = join(REPO, 'test', 'fixtures', 'auditd');

async function replay(files: string[]): Promise<{ events: RuntimeEvent[]; stats: MemoryStats }> {
  const src = findSource('auditd');
  assert.ok(src?.replay, 'auditd is registered with replay');
  const ctx = testContext();
  const events: RuntimeEvent[] = [];
  for await (const batch of src.replay(files.map((f) => join(FIX, f)), ctx)) events.push(...batch);
  return { events, stats: ctx.stats };
}

describe('auditd replay of recorded logs', () => {
  it('ENRICHED: exec args (quotes, tabs, 10000-byte split arg), file writes, listen, connect, unshare', async () => {
    const { events, stats } = await replay(['recorded-enriched.log']);
    assert.deepEqual(stats.snap.bad, {});
    const execs = events.filter((e) => e.kind === 'exec');
    const echo = execs.find((e) => e.process.exe === '/usr/bin/echo');
    assert.deepEqual(echo?.process.args, ['/bin/echo', 'quoted "arg"', 'tab\tx', 'plain']);
    assert.equal(echo.process.cwd, '/tmp/hwrec');
    assert.equal(echo.process.uid, 0);
    const long = execs.find((e) => e.process.args[0] === 'custom');
    assert.equal(long?.process.exe, '/usr/bin/true');
    assert.equal(long.process.args[1], 'a'.repeat(10000));

    const fw = events.filter((e) => e.kind === 'file_write').map((e) => e.kind === 'file_write' && [e.op, e.path, e.newPath ?? '']);
    assert.deepEqual(
      fw.filter((x) => x && x[1].startsWith('/tmp/hwrec/w')),
      [
        ['create', '/tmp/hwrec/w/out.txt', ''],
        ['rename', '/tmp/hwrec/w/out.txt', '/tmp/hwrec/w/sp ace.txt'],
        ['chmod', '/tmp/hwrec/w/sp ace.txt', ''],
        ['unlink', '/tmp/hwrec/w/sp ace.txt', ''],
      ],
    );
    const listens = events.filter((e) => e.kind === 'listen').map((e) => e.kind === 'listen' && [e.addr, e.port]);
    // bound to port 0: the chosen port is not in the log (live mode asks /proc)
    assert.deepEqual(listens, [
      ['127.0.0.1', 0],
      ['::1', 0],
    ]);
    const conn = events.filter((e) => e.kind === 'connect');
    assert.deepEqual(
      conn.map((e) => e.kind === 'connect' && [e.proto, e.dstAddr, e.dstPort]),
      [['tcp', '127.66.6.6', 4444]],
    );
    assert.equal(conn[0].process.exe, '/root/.pyenv/versions/3.11.7/bin/python3.11');
    assert.ok(events.some((e) => e.kind === 'syscall' && e.names[0] === 'unshare'));
  });

  it('RAW across a rotation (.1 then current): all events, one orphan record at the start', async () => {
    const { events, stats } = await replay(['recorded-raw.log.1', 'recorded-raw.log']);
    assert.deepEqual(stats.snap.bad, { auditd: { orphan_record: 1 } });
    const kinds = events.map((e) => e.kind + (e.kind === 'file_write' ? ':' + e.op : ''));
    for (const k of ['exec', 'listen', 'file_write:create', 'file_write:rename', 'file_write:chmod', 'file_write:unlink']) {
      assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
    }
    const l = events.find((e) => e.kind === 'listen');
    assert.deepEqual(l?.kind === 'listen' && [l.addr, l.port], ['127.0.0.1', 45678]);
    const last = events.filter((e) => e.kind === 'exec').pop();
    assert.deepEqual(last?.process.args, ['/bin/true', 'after', 'rotation']);
    assert.ok(events.every((e) => e.node === 'test-node' && e.source === 'auditd'));
  });
});
