// Input hygiene of normalised events: keys the format does not define are dropped at
// every level, each bad record is counted under the reason docs/events.md gives it, and
// a line that is not UTF-8 is counted as bad_encoding and dropped (no phantom workload).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvent } from '../../../../collector/sources/events/decode.ts';
import { EventLineDecoder } from '../../../../collector/sources/events/line-decoder.ts';
import { replayFile } from '../../../support/replay-file.ts';
import { replay } from '../../../../agent/cli/replay.ts';

const base = { time: 1700000000000, kind: 'exec', process: { pid: 1, exe: '/bin/x' } };

function reasonOf(v: unknown): string {
  const r = decodeEvent(v, { node: 'n' });
  return r.ok ? 'ok' : r.reason;
}

const readLines = (content: Buffer) => replayFile('events', content);

describe('events input hygiene', () => {
  it('drops unknown keys at every level: process, each ancestor, workload, container, cgroup', () => {
    const line = JSON.stringify({
      ...base,
      extra: 1,
      process: { pid: 1, exe: '/bin/x', args: ['x'], cwd: '/', parentComm: 'sh', leak: 'p', ancestors: [{ exe: '/bin/sh', args: ['sh', '-c', 'x'], pid: 2, secret: 'S3cr3tAncestor' }, { nope: 1 }] },
      workload: { id: 'ns/Deployment/w', kind: 'Deployment', name: 'w', namespace: 'ns', leak: { deep: true } },
      container: { id: 'c1', runtime: 'containerd', image: 'i:1', env: ['A=B'] },
      cgroup: { path: '/x.scope', id: 7, mode: 'weird' },
    });
    for (const decode of [(l: string) => decodeEvent(JSON.parse(l), { node: 'n' }), (l: string) => new EventLineDecoder({ node: 'n' }).decode(l)]) {
      const r = decode(line);
      assert.ok(r.ok);
      const ev = JSON.parse(JSON.stringify(r.event)) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(ev.process).sort(), ['ancestors', 'args', 'cwd', 'exe', 'parentComm', 'pid']);
      assert.deepEqual(ev.process.ancestors, [{ exe: '/bin/sh', pid: 2, args: ['sh', '-c', 'x'] }], 'unknown keys and exe-less ancestors dropped');
      assert.deepEqual(Object.keys(ev.workload).sort(), ['id', 'kind', 'name', 'namespace']);
      assert.deepEqual(ev.container, { id: 'c1', runtime: 'containerd', image: 'i:1' });
      assert.deepEqual(ev.cgroup, { path: '/x.scope', id: '7' });
      assert.equal(ev.extra, undefined);
      assert.ok(!JSON.stringify(ev).includes('S3cr3tAncestor'));
    }
  });

  it('keeps sharing the envelope of a container whose lines are clean (and only those)', () => {
    const d = new EventLineDecoder({ node: 'n' });
    const w = { id: 'ns/Deployment/w', namespace: 'ns', kind: 'Deployment', name: 'w' };
    const c = { id: 'c'.repeat(64), runtime: 'containerd' };
    const line = (i: number, ww: unknown = w) => JSON.stringify({ time: 1700000000000 + i, kind: 'exec', process: { pid: i, exe: '/bin/x' }, workload: ww, container: c });
    for (let i = 0; i < 5; i++) assert.ok(d.decode(line(i)).ok);
    assert.equal(d.reused, 4);
    const dirty = { ...w, extra: 'x' };
    const a = d.decode(line(10, dirty));
    const b = d.decode(line(11, dirty));
    assert.ok(a.ok && b.ok);
    assert.equal(d.reused, 4, 'an envelope that decoding changes is never remembered');
    assert.deepEqual(Object.keys(b.event.workload!).sort(), ['id', 'kind', 'name', 'namespace']);
  });

  it('absent required fields are missing_field, present but unusable ones bad_value', () => {
    const cases: [unknown, string][] = [
      [{ ...base, time: JSON.parse('1e999') as number }, 'bad_value'],
      [{ ...base, time: -5 }, 'bad_value'],
      [{ ...base, time: 0 }, 'bad_value'],
      [{ ...base, time: 'yesterday' }, 'bad_value'],
      [{ ...base, time: true }, 'bad_value'],
      [{ ...base, time: undefined }, 'missing_field'],
      [{ ...base, kind: undefined }, 'missing_field'],
      [{ ...base, kind: 5 }, 'bad_value'],
      [{ ...base, kind: 'teleport' }, 'unknown_kind'],
      [{ ...base, process: undefined }, 'missing_field'],
      [{ ...base, process: 'x' }, 'bad_value'],
      [{ ...base, process: { exe: '/x' } }, 'missing_field'],
      [{ ...base, process: { pid: -1, exe: '/x' } }, 'bad_value'],
      [{ ...base, process: { pid: '1', exe: '/x' } }, 'bad_value'],
      [{ ...base, process: { pid: 1.5, exe: '/x' } }, 'bad_value'],
      [{ ...base, process: { pid: 1 } }, 'missing_field'],
      [{ ...base, process: { pid: 1, exe: '' } }, 'bad_value'],
      [{ ...base, process: { pid: 1, exe: '/x', args: 'x' } }, 'bad_value'],
      [{ ...base, process: { pid: 1, exe: '/x', args: [1] } }, 'bad_value'],
      [{ ...base, workload: 'w' }, 'bad_value'],
      [{ ...base, workload: { kind: 'K', name: 'n' } }, 'missing_field'],
      [{ ...base, workload: { id: 5, kind: 'K', name: 'n' } }, 'bad_value'],
      [{ ...base, kind: 'file_write' }, 'missing_field'],
      [{ ...base, kind: 'file_write', path: '' }, 'bad_value'],
      [{ ...base, kind: 'file_write', path: '/x', op: 'explode' }, 'bad_value'],
      [{ ...base, kind: 'file_open', path: 3 }, 'bad_value'],
      [{ ...base, kind: 'listen' }, 'missing_field'],
      [{ ...base, kind: 'listen', port: 70000 }, 'bad_value'],
      [{ ...base, kind: 'listen', port: 80, proto: 'sctp' }, 'bad_value'],
      [{ ...base, kind: 'connect', dstPort: 80 }, 'missing_field'],
      [{ ...base, kind: 'connect', dstAddr: '1.2.3.4' }, 'missing_field'],
      [{ ...base, kind: 'connect', dstAddr: '1.2.3.4', dstPort: -1 }, 'bad_value'],
      [{ ...base, kind: 'syscall' }, 'missing_field'],
      [{ ...base, kind: 'syscall', names: [] }, 'bad_value'],
      [{ ...base, kind: 'syscall', names: 'ptrace' }, 'bad_value'],
      [[1, 2], 'not_an_object'],
      [{ ...base }, 'ok'],
    ];
    const wrong = cases.filter(([v, want]) => reasonOf(v) !== want).map(([v, want]) => `${JSON.stringify(v)}: ${reasonOf(v)}, want ${want}`);
    assert.deepEqual(wrong, []);
  });

  it('a line that is not UTF-8 is bad_encoding and dropped: no phantom workload, the next lines judged as usual', async () => {
    const good = (i: number) => JSON.stringify({ ...base, time: base.time + i, process: { pid: i, exe: '/bin/x' }, workload: { id: 'ns/Deployment/real', kind: 'Deployment', name: 'real' } });
    // a workload id with invalid bytes: decoded with U+FFFD it would be a new workload
    const garbage = Buffer.concat([Buffer.from('{"time":1700000000000,"kind":"exec","process":{"pid":9,"exe":"/bin/x"},"workload":{"id":"ns/Deployment/re'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('al","kind":"Deployment","name":"x"}}')]);
    const input = Buffer.concat([Buffer.from(good(1) + '\n'), garbage, Buffer.from('\n' + good(2) + '\n'), Buffer.from([0xc0, 0xaf, 0x0a]), Buffer.from(good(3) + '\n'), Buffer.from('{"time":1700000000004,"kind":"exec","process":{"pid":4,"exe":"/bin/\uFFFD"}}\n')]);
    const { got, stats } = await readLines(input);
    assert.deepEqual(got.map((e) => e.process.pid), [1, 2, 3, 4], 'a real U+FFFD in valid UTF-8 is kept');
    assert.deepEqual(stats.snap.bad.events, { bad_encoding: 2 });
    assert.ok(got.every((e) => e.workload === undefined || e.workload.id === 'ns/Deployment/real'));
    // the sharded replay reads bytes itself: the same verdicts, on one thread and on two
    const dir = mkdtempSync(join(tmpdir(), 'hw-hyg-'));
    try {
      writeFileSync(join(dir, 'in.jsonl'), input);
      for (const threads of [1, 2]) {
        const r = await replay({ source: 'events', files: [join(dir, 'in.jsonl')], threads });
        assert.equal(r.events, 4, `${threads} thread(s)`);
        assert.deepEqual(r.stats.snap.bad.events, { bad_encoding: 2 }, `${threads} thread(s)`);
        assert.ok(r.alerts.every((a) => !a.workload.id.includes('\uFFFD')));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
