import assert from 'node:assert/strict';
import sinon from 'sinon';
import { Pipeline, BoundedQueue, coalesce } from '../../agent/pipeline.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { DEFAULT_LEARNING } from '../../models/baseline/baseline.ts';
import { rules } from '../../models/rules/index.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import { silentLogger } from '../../collector/log.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { AlertUpdate } from '../../models/alert.ts';

const exec = (exe: string, time: number): RuntimeEvent => ({
  time,
  node: 'n',
  source: 'test',
  kind: 'exec',
  process: { pid: 1, exe, args: [exe] },
  cgroup: { path: '/system.slice/svc.service' },
  enrichment: 'partial',
});

describe('pipeline learning with an injected clock (sinon fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers({ now: Date.parse('2026-05-01T00:00:00Z'), toFake: ['Date', 'setInterval', 'clearInterval'] })));
  afterEach(() => clock.restore());

  function setup() {
    const profiler = new Profiler(DEFAULT_LEARNING);
    const engine = new Engine(profiler, rules, DEFAULT_ENGINE);
    const alerts: AlertUpdate[] = [];
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), flushIntervalMs: 1000, onAlert: (u) => alerts.push(u) });
    const state = () => [...profiler.baselines.values()][0]?.meta.state;
    return { p, profiler, alerts, state };
  }

  it('becomes stable after 10 min of learning and 5 quiet minutes, then alerts on novelty', async () => {
    const { p, alerts, state } = setup();
    let push: ((b: RuntimeEvent[] | null) => void) | undefined;
    async function* input() {
      for (;;) {
        const b = await new Promise<RuntimeEvent[] | null>((r) => (push = r));
        if (b === null) return;
        yield b;
      }
    }
    const ac = new AbortController();
    const done = p.run([{ name: 't', batches: input() }], ac.signal);
    const send = async (e: RuntimeEvent) => {
      while (!push) await Promise.resolve();
      const f = push;
      push = undefined;
      const before = p.events;
      f([e]);
      // judged: the run loop may yield to a macrotask first (setImmediate is not faked)
      while (p.events === before) await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    await send(exec('/usr/bin/svc', Date.now()));
    assert.equal(state(), 'learning');
    await clock.tickAsync(7 * 60_000);
    await send(exec('/usr/bin/helper', Date.now())); // a new item at minute 7 restarts the quiet period
    await clock.tickAsync(4 * 60_000); // minute 11: min learning passed, quiet only 4 min
    assert.equal(state(), 'learning');
    await clock.tickAsync(61_000 + 1000); // minute 12+: quiet period over, the periodic tick makes it stable
    assert.equal(state(), 'stable');
    await send(exec('/usr/bin/nc', Date.now()));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].alert.rule, 'unexpected-exec');
    assert.equal(alerts[0].alert.baseline.state, 'stable');
    while (!push) await Promise.resolve();
    push(null);
    await done;
  });
});

describe('pipeline redaction', () => {
  it('redacts argv that enrichment added (ancestors from the process cache)', () => {
    const profiler = new Profiler(DEFAULT_LEARNING);
    const engine = new Engine(profiler, rules, DEFAULT_ENGINE);
    const enricher = createEnricher([
      { name: 'ancestors', enrich: (ev) => void (ev.process.ancestors = [{ exe: '/usr/bin/mysql', args: ['mysql', '-pTopSecret99'] }]) },
    ]);
    const p = new Pipeline({ engine, enricher, log: silentLogger, now: () => 0 });
    const ev = exec('/tmp/x', Date.now());
    const out = p.processBatch([ev]);
    assert.ok(out.length > 0);
    assert.doesNotMatch(JSON.stringify(out), /TopSecret99/);
    assert.deepEqual(ev.process.ancestors?.[0].args, ['mysql', '-p<redacted>']);
  });
});

describe('BoundedQueue', () => {
  it('makes producers wait when full and drains after close', async () => {
    const q = new BoundedQueue<number>(3);
    await q.push(1);
    await q.push(2);
    await q.push(3);
    let pushed = false;
    const p = q.push(4).then(() => (pushed = true));
    await Promise.resolve();
    assert.equal(pushed, false, 'the fourth push waits');
    assert.equal(await q.pop(), 1);
    await p;
    assert.equal(pushed, true);
    q.close();
    assert.deepEqual([await q.pop(), await q.pop(), await q.pop(), await q.pop()], [2, 3, 4, undefined]);
  });
  it('coalesces several updates of one alert in a batch', () => {
    const a = { id: 'x', count: 1 } as unknown as AlertUpdate['alert'];
    const out = coalesce([{ alert: a, isNew: true }, { alert: a, isNew: false }]);
    assert.equal(out.length, 1);
    assert.equal(out[0].isNew, true);
  });
});
