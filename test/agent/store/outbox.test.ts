import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../../agent/store/db.ts';
import { Outbox } from '../../../agent/store/outbox.ts';

describe('store: outbox', () => {
  let db: Db;
  let o: Outbox;
  beforeEach(() => {
    db = openDatabase(':memory:');
    o = new Outbox(db);
  });
  afterEach(() => db.close());

  it('keeps per-sink order and separates sinks', () => {
    o.enqueue('a', 'x1', 1, false, 100);
    o.enqueue('b', 'y1', 1, false, 100);
    o.enqueue('a', 'x2', 1, false, 101);
    assert.deepEqual(o.head('a', 10).map((r) => r.alertId), ['x1', 'x2']);
    assert.deepEqual(o.head('b', 10).map((r) => r.alertId), ['y1']);
    assert.equal(o.head('a', 1).length, 1);
    assert.deepEqual(o.sinks(), new Map([['a', 2], ['b', 1]]));
  });

  it('defers with attempts and error, removes on ack', () => {
    o.enqueue('a', 'x1', 1, false, 100);
    const [r] = o.head('a', 1);
    o.defer([r.seq], 5000, 'http_5xx: HTTP 503');
    const [d] = o.head('a', 1);
    assert.equal(d.attempts, 1);
    assert.equal(d.nextAttemptAt, 5000);
    assert.equal(d.lastError, 'http_5xx: HTTP 503');
    o.remove([d.seq]);
    assert.equal(o.depth('a'), 0);
    assert.equal(o.oldest('a'), undefined);
  });

  it('coalesces a repeat only into an untried row after the in-flight batch', () => {
    o.enqueue('a', 'x1', 1, false, 100);
    const [first] = o.head('a', 1);
    assert.equal(o.coalesce('a', 'x1', 2, first.seq), false, 'the in-flight row is not touched');
    o.enqueue('a', 'x1', 2, true, 101);
    assert.equal(o.coalesce('a', 'x1', 5, first.seq), true);
    const rows = o.head('a', 10);
    assert.deepEqual(rows.map((r) => [r.revision, r.update]), [[1, false], [5, true]]);
    assert.ok(o.hasPending('a', 'x1'));
    assert.ok(!o.hasPending('b', 'x1'));
  });

  it('drops oldest and expired rows, returning their alert ids', () => {
    for (let i = 0; i < 5; i++) o.enqueue('a', `x${i}`, 1, false, 100 + i);
    assert.deepEqual(o.dropOldest('a', 2), ['x0', 'x1']);
    assert.deepEqual(o.expire('a', 104), ['x2', 'x3']);
    assert.equal(o.oldest('a'), 104);
    assert.equal(o.dropSink('a'), 1);
  });

  it('survives reopening the database file', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'hw-outbox-'));
    try {
      const f = join(dir, 'x.db');
      const d1 = openDatabase(f);
      new Outbox(d1).enqueue('a', 'x1', 3, true, 7);
      d1.close();
      const d2 = openDatabase(f);
      const [r] = new Outbox(d2).head('a', 1);
      assert.deepEqual([r.alertId, r.revision, r.update, r.enqueuedAt], ['x1', 3, true, 7]);
      d2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
