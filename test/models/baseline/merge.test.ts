// Identities and baselines across replicas: a provisional identity's items move to the
// workload the API named (nothing learned is lost; an enforcing baseline does not learn
// behind its back), and a rollout's two images do not flip a baseline's version.
import assert from 'node:assert/strict';
import { applyMoves } from '../../../agent/moves.ts';
import { connect, exec, MIN, T0, testEngine, learnThenStable, write } from '../../support/events.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';

const PROV = { workloadId: 'host/pod/1234', container: 'c0ffee000000' };
const WEB = { id: 'shop/Deployment/web', namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' };

/** an event learned under the provisional (pod UID) identity */
function provisional(ev: RuntimeEvent): RuntimeEvent {
  ev.workload = { id: PROV.workloadId, kind: 'Pod', name: '1234', container: PROV.container };
  ev.enrichment = 'partial';
  return ev;
}

describe('baselines across identities and replicas', () => {
  it('a provisional baseline becomes the workload’s when it has none: items, state and timings kept', () => {
    const e = testEngine();
    e.process(provisional(exec('/usr/bin/app')), T0);
    e.process(provisional(write('/data/x')), T0 + 1000);
    assert.equal(e.profiler.baselines.get(`${PROV.workloadId}#${PROV.container}`)?.meta.provisional, true);
    const out = [] as never[];
    const r = applyMoves([{ from: PROV, to: WEB }], e, 'node-a', T0 + MIN, out);
    assert.deepEqual(r, { moved: 1, unconfirmed: 0 });
    assert.equal(e.profiler.baselines.has(`${PROV.workloadId}#${PROV.container}`), false);
    const b = e.profiler.baselines.get('shop/Deployment/web#app')!;
    assert.ok(b.has('exec', '/usr/bin/app') && b.has('file_write', '/data/x'));
    assert.equal(b.meta.learningSince, T0);
    assert.equal(b.meta.provisional, false);
    assert.deepEqual(e.profiler.takeDropped(), [`${PROV.workloadId}#${PROV.container}`]);
    // the same move again is a no-op
    assert.deepEqual(applyMoves([{ from: PROV, to: WEB }], e, 'node-a', T0 + MIN, out), { moved: 0, unconfirmed: 0 });
    // and events with the confirmed identity land on the same baseline
    assert.equal(e.profiler.observe(exec('/usr/bin/app'), T0 + 2 * MIN).baseline, b);
  });

  it('into a learning baseline every item moves (merged counts, nodes, first seen)', () => {
    const e = testEngine();
    e.process(exec('/usr/bin/app', { node: 'node-a' }), T0);
    e.process(provisional(exec('/usr/bin/app', { node: 'node-b' })), T0 - 5000);
    e.process(provisional(connect('10.0.0.7', 5432, { node: 'node-b' })), T0 + 1000);
    applyMoves([{ from: PROV, to: WEB }], e, 'node-b', T0 + 2000, []);
    const b = e.profiler.baselines.get('shop/Deployment/web#app')!;
    const app = b.get('exec', '/usr/bin/app')!;
    assert.equal(app.count, 2);
    assert.deepEqual(app.nodes.sort(), ['node-a', 'node-b']);
    assert.equal(app.firstSeen, T0 - 5000);
    assert.ok(b.has('connect', 'tcp 10.0.0.7:5432'));
  });

  it('into a stable baseline only known items merge; the rest is judged now as the novelty it was', () => {
    const e = testEngine();
    const t = learnThenStable(e, [exec('/usr/bin/app'), connect('10.0.0.7', 5432)]);
    // a new replica, not yet known to the API, learned under its pod UID meanwhile
    e.process(provisional(exec('/usr/bin/app')), t + 1000);
    e.process(provisional(exec('/tmp/xmrig')), t + 2000);
    e.process(provisional(connect('10.0.0.7', 5432)), t + 3000);
    const out: import('../../../models/alert.ts').AlertUpdate[] = [];
    const r = applyMoves([{ from: PROV, to: WEB }], e, 'node-a', t + 10_000, out);
    assert.deepEqual(r, { moved: 1, unconfirmed: 1 });
    const b = e.profiler.baselines.get('shop/Deployment/web#app')!;
    assert.equal(b.meta.state, 'stable');
    assert.equal(b.has('exec', '/tmp/xmrig'), false, 'never learned behind a stable baseline’s back');
    assert.equal(b.get('exec', '/usr/bin/app')!.count, 2);
    const rules = out.map((u) => u.alert.rule);
    assert.ok(rules.includes('exec-writable-path') || rules.includes('unexpected-exec'), rules.join());
    assert.ok(out.every((u) => u.alert.workload.id === 'shop/Deployment/web'));
  });

  it('a forbidden item never moves in, even into a learning baseline; it is judged (forbidden-item)', () => {
    const e = testEngine();
    e.process(exec('/usr/bin/app'), T0);
    e.profiler.baselines.get('shop/Deployment/web#app')!.forbid('exec', '/usr/bin/nc');
    e.process(provisional(exec('/usr/bin/nc')), T0 + 1000);
    const out: import('../../../models/alert.ts').AlertUpdate[] = [];
    assert.deepEqual(applyMoves([{ from: PROV, to: WEB }], e, 'node-a', T0 + 2000, out), { moved: 1, unconfirmed: 1 });
    assert.equal(e.profiler.baselines.get('shop/Deployment/web#app')!.has('exec', '/usr/bin/nc'), false);
    assert.ok(out.some((u) => u.alert.rule === 'forbidden-item'), out.map((u) => u.alert.rule).join());
  });

  it('only provisional baselines move', () => {
    const e = testEngine();
    e.process(exec('/usr/bin/app', { workload: 'shop/Pod/debug', container: 'sh' }), T0);
    const r = applyMoves([{ from: { workloadId: 'shop/Pod/debug', container: 'sh' }, to: WEB }], e, 'node-a', T0 + 1, []);
    assert.equal(r.moved, 0);
  });

  it('a rollout: the new image makes one new version; the old image’s replicas do not flip it back', () => {
    const e = testEngine();
    const t = learnThenStable(e, [exec('/usr/bin/app', { image: 'web:1' })]);
    const b = e.profiler.baselines.get('shop/Deployment/web#app')!;
    assert.equal(b.meta.version, 1);
    e.process(exec('/usr/bin/app', { image: 'web:2' }), t + 1000);
    assert.equal(b.meta.version, 2);
    for (let i = 0; i < 5; i++) {
      e.process(exec('/usr/bin/app', { image: 'web:1' }), t + 2000 + i);
      e.process(exec('/usr/bin/app', { image: 'web:2' }), t + 2000 + i);
    }
    assert.equal(b.meta.version, 2, 'old and new pods side by side: still version 2');
    assert.equal(b.meta.image, 'web:2');
    e.process(exec('/usr/bin/app', { image: 'web:3' }), t + 10_000);
    assert.equal(b.meta.version, 3);
  });
});
