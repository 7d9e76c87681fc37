import assert from 'node:assert/strict';
import { StringMemo } from '../../../../collector/sources/tetragon/memo.ts';

describe('StringMemo (Map with a direct-mapped front)', () => {
  it('returns what was set for every key, across front collisions', () => {
    const m = new StringMemo<number>(4, 100_000); // 16 front slots: most keys collide
    const keys: string[] = [];
    for (let i = 0; i < 2000; i++) keys.push(i % 3 === 0 ? `k${i}` : `containerd://${i.toString(16).padStart(64, '0')}`);
    keys.forEach((k, i) => m.set(k, i));
    for (let pass = 0; pass < 2; pass++) keys.forEach((k, i) => assert.equal(m.get(k), i, k));
    assert.equal(m.get('absent'), undefined);
    assert.equal(m.get(''), undefined);
  });
  it('compares keys by value: a fresh string instance finds the entry', () => {
    const m = new StringMemo<string>(8, 10);
    m.set(JSON.parse('"YmVuY2g6MTo0MQ=="'), 'a');
    assert.equal(m.get(JSON.parse('"YmVuY2g6MTo0MQ=="')), 'a');
  });
  it('forgets everything once the Map reaches its bound', () => {
    const m = new StringMemo<number>(8, 3);
    for (const k of ['a', 'b', 'c']) m.set(k, 1);
    m.set('d', 2); // clears a, b, c (Map and front) before storing d
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => m.get(k)), [undefined, undefined, undefined, 2]);
  });
});
