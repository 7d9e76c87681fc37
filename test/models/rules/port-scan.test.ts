import assert from 'node:assert/strict';
import rule from '../../../models/rules/port-scan/rule.ts';
import { assertRuleShape, connect, learnThenStable, none, one, fire, testEngine, T0 } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });
const nc = { exe: '/usr/bin/nc', args: ['nc', '-z', '127.0.0.1', '1-1024'], pid: 4321 };

describe('rules/port-scan', () => {
  it('shape', () => {
    assertRuleShape(rule, 'port-scan');
    assert.equal(rule.mitre.technique, 'T1046');
  });

  it('sixteen service ports of one address from one process within 30 s: one finding, the rest folds in', () => {
    const e = engine();
    for (let p = 1; p < 16; p++) none(e, connect('127.0.0.1', p, { ...nc, time: T0 + p }));
    const a = one(e, connect('127.0.0.1', 16, { ...nc, time: T0 + 16 }));
    assert.equal(a.summary, '/usr/bin/nc reached 16 ports of 127.0.0.1 within 30 s: 1-16');
    assert.equal(a.evidence.ports, '1-16');
    assert.equal(a.evidence.distinct, 16);
    for (let p = 17; p <= 1024; p++) {
      const ups = fire(e, connect('127.0.0.1', p, { ...nc, time: T0 + p }));
      assert.equal(ups.length, 1);
      assert.equal(ups[0].alert, a);
    }
    assert.equal(a.evidence.ports, '1-1024');
    assert.match(a.summary, /reached 1024 ports of 127\.0\.0\.1: 1-1024/);
  });

  it('whatever the learning baseline knows (nc); not for ephemeral ports, other processes or a slow walk', () => {
    const e = engine();
    for (const [addr, port] of [['10.0.0.5', 5432], ['10.0.0.5', 6379]] as const) none(e, connect(addr, port, nc));
    // 20 data connections to ephemeral ports (FTP passive), 15 service ports, other pids, a slow walk
    for (let i = 0; i < 20; i++) none(e, connect('10.0.0.9', 40000 + i, { ...nc, time: T0 + i }));
    for (let i = 0; i < 15; i++) none(e, connect('10.0.0.8', 100 + i, { ...nc, time: T0 + i }));
    for (let i = 0; i < 20; i++) none(e, connect('10.0.0.7', 200 + i, { ...nc, pid: 5000 + i, time: T0 + i }));
    for (let i = 0; i < 20; i++) none(e, connect('10.0.0.6', 300 + i, { ...nc, time: T0 + i * 3000 }));
    const s = T0 + 100_000;
    for (let i = 0; i < 15; i++) none(e, connect('10.0.0.5', 1000 + i, { ...nc, time: s + i }));
    // the sixteenth port is one the workload uses: the burst is the scan all the same
    assert.equal(one(e, connect('10.0.0.5', 5432, { ...nc, time: s + 20 })).summary, '/usr/bin/nc reached 16 ports of 10.0.0.5 within 30 s: 1000-1014,5432');
  });

  it('once stable it leaves the scan to unexpected-connect, whose fan-out is the one finding', () => {
    const e = engine();
    const t = learnThenStable(e, [connect('10.0.0.5', 5432, nc)]);
    for (let p = 1; p <= 64; p++) none(e, connect('10.0.0.5', p, { ...nc, time: t + p }), t + p);
  });
});
