import assert from 'node:assert/strict';
import { SelfAlerts } from '../../agent/self-alerts.ts';
import { silentLogger } from '../../collector/log.ts';
import type { AlertUpdate } from '../../models/alert.ts';
import { assertValidAlert } from '../support/alert-schema.ts';
import { isNew, makeAlert, startHarness, startReceiver, type Harness, type Receiver } from './sinks/helpers.ts';

const who = { node: 'node-a', pid: 42, ppid: 1, exe: '/usr/bin/node', uid: 0, cwd: '/' };

describe('self-alerts (the agent about itself)', () => {
  it('are ordinary alerts of kind agent; repeats inside the cooldown fold into one', () => {
    let now = Date.parse('2026-05-01T00:00:00Z');
    const committed: AlertUpdate[] = [];
    const s = new SelfAlerts({ who, now: () => now, cooldownMs: 60_000, log: silentLogger, commit: (u) => void committed.push(...u) });
    const a = s.raise('event-loop-blocked', 'blocked for 2.0 s');
    assertValidAlert(a);
    assert.equal(a.rule, 'agent-event-loop-blocked');
    assert.equal(a.kind, 'agent');
    assert.equal(a.workload.id, 'habitwatch-agent/node-a');
    assert.deepEqual(a.evidence, { condition: 'event-loop-blocked', detail: 'blocked for 2.0 s' });
    now += 10_000;
    const b = s.raise('event-loop-blocked', 'blocked for 3.0 s');
    assert.equal(b, a);
    assert.equal(a.count, 2);
    assert.equal(a.evidence.detail, 'blocked for 3.0 s');
    now += 120_000;
    assert.notEqual(s.raise('event-loop-blocked', 'again').id, a.id, 'after the cooldown: a new alert');
    assert.deepEqual(committed.map((u) => u.isNew), [true, false, true]);
  });

  it('wait in memory while the store fails, one per condition, and are committed once it answers', () => {
    let broken = true;
    const committed: AlertUpdate[] = [];
    const s = new SelfAlerts({
      who,
      now: () => Date.now(),
      cooldownMs: 600_000,
      log: silentLogger,
      commit: (u) => {
        if (broken) throw new Error('database or disk is full');
        committed.push(...u);
      },
    });
    assert.equal(s.set('storage-failing', true, 'commit: disk full'), true);
    assert.equal(s.set('storage-failing', true, 'commit: disk full'), false, 'still on: no second alert');
    s.raise('event-loop-blocked', 'x');
    s.raise('event-loop-blocked', 'y');
    assert.equal(s.waiting, 2);
    broken = false;
    s.tick();
    assert.equal(s.waiting, 0);
    assert.deepEqual(committed.map((u) => [u.alert.rule, u.isNew, u.alert.count]), [
      ['agent-storage-failing', true, 1],
      ['agent-event-loop-blocked', true, 2],
    ]);
  });

  it('dropped deliveries are counted and reported at most once per interval, with every cause', () => {
    let now = 1_000_000;
    const raised: AlertUpdate[] = [];
    const s = new SelfAlerts({ who, now: () => now, cooldownMs: 600_000, reportIntervalMs: 10_000, log: silentLogger, commit: (u) => void raised.push(...u) });
    s.note('alerts-dropped', 'deliveries to sink siem dropped (maxQueue)', 5);
    s.note('alerts-dropped', 'deliveries to sink siem dropped (maxQueue)', 7);
    s.note('alerts-dropped', 'deliveries to sink am dropped (maxAge)', 1);
    s.tick();
    assert.equal(raised.length, 1);
    assert.equal(raised[0].alert.evidence.detail, 'deliveries to sink siem dropped (maxQueue): 12; deliveries to sink am dropped (maxAge): 1');
    s.note('alerts-dropped', 'deliveries to sink siem dropped (maxQueue)', 3);
    now += 5_000;
    s.tick();
    assert.equal(raised.length, 1, 'not again within the interval');
    now += 5_000;
    s.tick();
    assert.equal(raised.length, 2);
    assert.equal(raised[1].isNew, false);
    assert.equal(raised[1].alert.count, 2);
  });

  describe('announced by the delivery path', () => {
    let rx: Receiver;
    let h: Harness | undefined;
    beforeEach(async () => (rx = await startReceiver()));
    afterEach(async () => {
      await h?.close();
      await rx.close();
    });

    it('a sink overflowing its maxQueue reports how many deliveries it dropped', async () => {
      rx.answer = () => ({ status: 503 });
      const drops: [string, string, number][] = [];
      h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, maxQueue: 3, retry: { initial: 60000 } }], { onDrop: (...d) => drops.push(d) });
      for (let i = 0; i < 5; i++) h.alerts.commit([isNew(makeAlert())]);
      assert.deepEqual(drops, [['siem', 'overflow', 1], ['siem', 'overflow', 1]]);
    });
  });
});
