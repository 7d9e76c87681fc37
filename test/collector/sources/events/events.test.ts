import assert from 'node:assert/strict';
import { replayFile } from '../../../support/replay-file.ts';
import { EventRecord } from '../../../../collector/event.ts';
import { decodeEvent } from '../../../../collector/sources/events/decode.ts';

const ok = (i: number) => JSON.stringify({ time: 1700000000000 + i, kind: 'exec', process: { pid: i, exe: '/bin/true', args: ['true'] } });

const read = (content: string | Buffer) => replayFile('events', content);

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

describe('events decoder: one record shape for every kind, the same JSON', () => {
  const proc = { pid: 7, exe: '/bin/sh', args: ['sh'] };
  const envelope = { time: 1700000000000, node: 'n1', source: 'events', process: proc, enrichment: 'complete' };
  const inputs: Record<string, Record<string, unknown>> = {
    exec: { kind: 'exec' },
    file_write: { kind: 'file_write', path: '/tmp/a', op: 'rename', newPath: '/usr/bin/a' },
    file_open: { kind: 'file_open', path: '/etc/shadow', flags: ['O_RDONLY'] },
    listen: { kind: 'listen', proto: 'udp', addr: '::', port: 53 },
    connect: { kind: 'connect', proto: 'tcp', dstAddr: '10.0.0.5', dstPort: 5432, dns: 'db.internal' },
    syscall: { kind: 'syscall', names: ['ptrace'] },
  };
  const decode = (v: Record<string, unknown>) => {
    const r = decodeEvent(JSON.parse(JSON.stringify(v)), { node: 'default' });
    assert.ok(r.ok, JSON.stringify(r));
    return r.event;
  };

  it('every kind decodes to an EventRecord with the same keys in the same order', () => {
    const evs = Object.values(inputs).map((p) => decode({ ...envelope, ...p }));
    for (const ev of evs) assert.ok(ev instanceof EventRecord);
    const keys = Object.keys(evs[0]).join(',');
    for (const ev of evs) assert.equal(Object.keys(ev).join(','), keys, `${ev.kind} has another shape`);
  });

  it('writes the same JSON as its input (defaults filled, unknown keys dropped)', () => {
    for (const p of Object.values(inputs)) {
      const ev = decode({ ...envelope, ...p, somethingElse: { x: 1 } });
      assert.deepEqual(JSON.parse(JSON.stringify(ev)), { ...envelope, ...p });
    }
    const minimal = decode({ time: 5, kind: 'connect', process: { pid: 1, exe: '/x' }, dstAddr: '10.0.0.1', dstPort: 80 });
    assert.deepEqual(JSON.parse(JSON.stringify(minimal)), {
      time: 5,
      node: 'default',
      source: 'events',
      process: { pid: 1, exe: '/x', args: [] },
      enrichment: 'partial',
      kind: 'connect',
      proto: 'tcp',
      dstAddr: '10.0.0.1',
      dstPort: 80,
    });
  });

  it('optional fields of the wrong type are dropped; a null op or proto is a bad value, as before', () => {
    const w = decode({ ...envelope, kind: 'file_write', path: '/a', newPath: 3 });
    assert.equal(w.kind === 'file_write' && w.op, 'write');
    assert.equal(w.kind === 'file_write' && w.newPath, undefined);
    const o = decode({ ...envelope, kind: 'file_open', path: '/a', flags: [1] });
    assert.equal(o.kind === 'file_open' && o.flags, undefined);
    const c = decode({ ...envelope, kind: 'connect', dstAddr: '1.2.3.4', dstPort: 1, dns: 5, cgroup: { id: 42 }, container: { runtime: 'x' } });
    assert.equal(c.kind === 'connect' && c.dns, undefined);
    assert.deepEqual(c.cgroup, { id: '42' });
    assert.equal(c.container, undefined, 'a container without an id is dropped');
    for (const bad of [
      { kind: 'file_write', path: '/a', op: null },
      { kind: 'listen', port: 1, proto: null },
      { kind: 'connect', dstAddr: '1.2.3.4', dstPort: 1, proto: null },
    ]) {
      const r = decodeEvent({ ...envelope, ...bad }, { node: 'n' });
      assert.ok(!r.ok && r.reason === 'bad_value', `${JSON.stringify(bad)} → ${JSON.stringify(r)}`);
    }
  });
});
