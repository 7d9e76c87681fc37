import assert from 'node:assert/strict';
import { RecentMap } from '../../models/recent.ts';

describe('models/recent (bounded map, second-chance eviction)', () => {
  it('never holds more than cap + max(16, cap/4) entries, and trims to cap', () => {
    const m = new RecentMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) {
      m.set(i, i);
      m.get(i); // everything is "in use": eviction must still happen
      m.trim();
      assert.ok(m.size <= 125, `size ${m.size}`);
    }
  });

  it('keeps recently used entries and forgets the unused ones first', () => {
    const m = new RecentMap<string, number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.get('a');
    m.set('d', 4);
    const gone: string[] = [];
    m.trim((k) => gone.push(k));
    assert.deepEqual(gone, ['b']);
    assert.deepEqual([...m.keys()].sort(), ['a', 'c', 'd']);
  });

  it('keep() vetoes an eviction (state not yet persisted)', () => {
    const m = new RecentMap<string, number>(1);
    m.set('dirty', 1);
    m.set('clean', 2);
    m.trim(undefined, (k) => k === 'dirty');
    assert.deepEqual([...m.keys()], ['dirty']);
  });

  it('dropExpired stops at the first live entry', () => {
    const m = new RecentMap<string, number>(10);
    for (const [k, t] of [['a', 1], ['b', 2], ['c', 10], ['d', 3]] as const) m.set(k, t);
    assert.equal(m.dropExpired((t) => t < 5), 2);
    assert.deepEqual([...m.keys()], ['c', 'd']);
  });
});
