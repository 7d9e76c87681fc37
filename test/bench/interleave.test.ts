import assert from 'node:assert/strict';
import { interleave, timed, floorFeed, CHUNK, type Feed } from '../../bench/interleave.ts';

describe('bench/interleave: consumers take the same chunks in turn', () => {
  it('feeds every consumer all of the input, chunk by chunk, rotating who goes first, and ends each once', () => {
    const data = Buffer.alloc(CHUNK * 3 + 100, 0x61);
    const order: string[] = [];
    const got: Record<string, Buffer[]> = { a: [], b: [] };
    const ends: string[] = [];
    const feed = (name: string): Feed => ({
      push: (buf) => {
        order.push(name);
        got[name].push(Buffer.from(buf));
      },
      end: () => void ends.push(name),
    });
    const ts = [timed('a', feed('a')), timed('b', feed('b'))];
    const seen: number[] = [];
    interleave(data, ts, (f) => seen.push(f));
    assert.deepEqual(order, ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    for (const n of ['a', 'b']) {
      assert.deepEqual(Buffer.concat(got[n]), data);
      assert.deepEqual(got[n].map((b) => b.length), [CHUNK, CHUNK, CHUNK, 100]);
    }
    assert.deepEqual(ends, ['a', 'b']);
    assert.deepEqual(seen, [0]);
    for (const t of ts) assert.ok(t.ns > 0n && t.cpuUs >= 0);
  });

  it('the floor parses lines split across chunks, and throws on a line that is not JSON', () => {
    const line = JSON.stringify({ x: 'y'.repeat(1000) });
    const n = Math.ceil((CHUNK * 2) / line.length);
    const data = Buffer.from(`${line}\n`.repeat(n));
    assert.doesNotThrow(() => interleave(data, [timed('floor', floorFeed())]));
    assert.throws(() => interleave(Buffer.from('{"a":\n'), [timed('floor', floorFeed())]), SyntaxError);
  });
});
