import assert from 'node:assert/strict';
import { WrittenPaths } from '../../models/written.ts';

describe('WrittenPaths (drift memory)', () => {
  it('remembers exactly the paths added, not their neighbours', () => {
    const w = new WrittenPaths(4096);
    for (let i = 0; i < 1500; i++) w.add(`/tmp/f${i}`);
    for (let i = 0; i < 1500; i++) assert.ok(w.has(`/tmp/f${i}`), `/tmp/f${i}`);
    for (let i = 1500; i < 20000; i++) assert.equal(w.has(`/tmp/f${i}`), false, `/tmp/f${i}`);
    assert.equal(w.has('/tmp/f'), false);
    assert.equal(w.has(''), false);
    assert.equal(w.has('/tmp/f1 '), false);
  });

  it('keeps at least the newest max/2 paths, and forgets the oldest beyond max', () => {
    const w = new WrittenPaths(64);
    for (let i = 0; i < 1000; i++) w.add(`/p/${i}`);
    for (let i = 1000 - 32; i < 1000; i++) assert.ok(w.has(`/p/${i}`));
    assert.equal(w.has('/p/0'), false);
    let kept = 0;
    for (let i = 0; i < 1000; i++) if (w.has(`/p/${i}`)) kept++;
    assert.ok(kept >= 32 && kept <= 64, `kept ${kept}`);
  });

  it('adding a path twice keeps one entry', () => {
    const w = new WrittenPaths(8);
    for (let i = 0; i < 100; i++) w.add('/same');
    w.add('/a');
    w.add('/b');
    assert.ok(w.has('/same') && w.has('/a') && w.has('/b'));
  });

  it('non-ASCII and long paths', () => {
    const w = new WrittenPaths(16);
    const long = '/x/' + 'y'.repeat(100_000);
    w.add('/tmp/ünïcödé');
    w.add(long);
    assert.ok(w.has('/tmp/ünïcödé') && w.has(long));
    assert.equal(w.has('/tmp/unicode'), false);
    assert.equal(w.has(long + 'z'), false);
  });
});
