import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import events from '../../../../collector/sources/events/index.ts';
import { MemoryStats } from '../../../../collector/stats.ts';
import { silentLogger } from '../../../../collector/log.ts';
import { memorySourceState } from '../../../../agent/store/source-state.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';

const ok = (i: number) => JSON.stringify({ time: 1700000000000 + i, kind: 'exec', process: { pid: i, exe: '/bin/true', args: ['true'] } });

async function read(content: string | Buffer) {
  const dir = mkdtempSync(join(tmpdir(), 'hw-events-'));
  const file = join(dir, 'in.jsonl');
  writeFileSync(file, content);
  const stats = new MemoryStats();
  const got: RuntimeEvent[] = [];
  try {
    const ctx = { node: 'n', signal: new AbortController().signal, log: silentLogger, stats, state: memorySourceState(), now: Date.now };
    for await (const b of events.replay!([file], ctx)) got.push(...b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { got, stats };
}

describe('events source: bad input is counted, never fatal, never loses the next event', () => {
  it('counts each kind of bad record by reason and keeps every valid event', async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x9c, 0x22, 0x7b]);
    const lines = [
      ok(1),
      '{"time": 1, "kind": "exec", "process": {"pid": 1, "exe": "/bin/x"', // truncated JSON
      ok(2),
      JSON.stringify({ time: 1, kind: 'teleport', process: { pid: 1, exe: '/x' } }),
      ok(3),
      JSON.stringify({ time: 1, kind: 'connect', process: { pid: 1, exe: '/x' }, dstAddr: '10.0.0.1' }), // no dstPort
      ok(4),
      JSON.stringify({ kind: 'exec', process: { pid: 1, exe: '/x' } }), // no time
      ok(5),
      '[1,2,3]',
      ok(6),
      '{"time":1,"kind":"exec","process":{"pid":1,"exe":"/x","args":["' + 'A'.repeat(1024 * 1024 + 10) + '"]}}', // > 1 MiB
      ok(7),
      garbage.toString('latin1'),
      ok(8),
      JSON.stringify({ time: 1, kind: 'file_write', path: '/x', op: 'explode', process: { pid: 1, exe: '/x' } }),
      ok(9),
    ];
    const { got, stats } = await read(Buffer.concat([Buffer.from(lines.join('\n') + '\n')]));
    assert.deepEqual(got.map((e) => e.process.pid), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(stats.snap.bad.events, {
      invalid_json: 2,
      unknown_kind: 1,
      missing_field: 2,
      not_an_object: 1,
      line_too_long: 1,
      bad_value: 1,
    });
    assert.equal(stats.snap.received.events, 9);
  });

  it('accepts ISO times and fills defaults', async () => {
    const { got } = await read(JSON.stringify({ time: '2026-01-01T00:00:00Z', kind: 'listen', port: 80, process: { pid: 1, exe: '/x' } }) + '\n');
    assert.equal(got[0].time, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(got[0].node, 'n');
    assert.equal(got[0].kind === 'listen' && got[0].addr, '0.0.0.0');
  });

  it('survives random binary input', async () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const buf = Buffer.alloc(200_000);
    for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
    const { got, stats } = await read(Buffer.concat([buf, Buffer.from('\n' + ok(1) + '\n')]));
    assert.equal(got.length, 1);
    assert.ok(stats.totalBad() > 0);
  });
});
