// Destinations: Kubernetes peers are kept as names; many addresses of one range
// collapse to the range (/24 then /16, IPv6 /64 then /48) before a port collapses to *.
import assert from 'node:assert/strict';
import { Baseline } from '../../../models/baseline/baseline.ts';
import { addressRanges } from '../../../models/baseline/cidr.ts';
import { singleKey } from '../../../models/baseline/items.ts';
import { connect, listen, testLearning, testMeta, T0, testEngine, learnThenStable, fire } from '../../support/events.ts';

const cfg = testLearning({ cidrCollapseThreshold: 3, connectCollapseThreshold: 6 });
const fresh = (): Baseline => new Baseline(testMeta({ image: null }));
const keys = (b: Baseline): string[] => [...b.items.get('connect')!.keys()].sort();
/** what the profiler does: observe the canonical key */
const see = (b: Baseline, key: string, t = T0): void => void b.observe('connect', b.canonical('connect', key), t, 'n', cfg);

describe('models/baseline: destination identity and address ranges', () => {
  it('address ranges of IPv4 and IPv6 literals', () => {
    assert.deepEqual(addressRanges('10.0.3.77'), ['10.0.3.0/24', '10.0.0.0/16']);
    assert.deepEqual(addressRanges('2001:db8:1:2::5'), ['2001:db8:1:2::/64', '2001:db8:1::/48']);
    assert.deepEqual(addressRanges('::1'), ['0:0:0:0::/64', '0:0:0::/48']);
    for (const x of ['svc:db/postgres', 'shop/Deployment/web', 'example.com', '*', '10.0.3.0/24', '300.1.1.1', '1:2:3']) assert.equal(addressRanges(x), undefined, x);
  });

  it('a resolved peer is the item, never bracketed, whatever its address', () => {
    const ev = connect('10.96.0.20', 5432);
    ev.peer = 'svc:db/postgres';
    assert.equal(singleKey(ev), 'tcp svc:db/postgres:5432');
    const l = listen(8080, {}, '10.244.1.7');
    l.peer = 'pod';
    assert.equal(singleKey(l), 'tcp pod:8080');
    assert.equal(singleKey(connect('fd00::5', 443)), 'tcp [fd00::5]:443');
  });

  it('more than cidrCollapseThreshold addresses of one /24 on a port collapse to the /24; a new one there is known', () => {
    const b = fresh();
    for (let i = 1; i <= 4; i++) see(b, `tcp 10.0.3.${i}:5432`, T0 + i);
    see(b, 'tcp 10.0.3.1:6379');
    assert.deepEqual(keys(b), ['tcp 10.0.3.0/24:5432', 'tcp 10.0.3.1:6379']);
    assert.equal(b.get('connect', 'tcp 10.0.3.0/24:5432')!.count, 4);
    assert.equal(b.canonical('connect', 'tcp 10.0.3.200:5432'), 'tcp 10.0.3.0/24:5432');
    assert.equal(b.canonical('connect', 'tcp 10.0.4.1:5432'), 'tcp 10.0.4.1:5432', 'the next /24 is not covered');
    assert.deepEqual(b.meta.collapsed.connect, ['tcp 5432 10.0.3.0/24']);
  });

  it('many /24s of one /16 collapse to the /16 (a CDN); many ranges still collapse the port to *', () => {
    const b = fresh();
    for (let i = 1; i <= 4; i++) see(b, `tcp 151.101.${i}.1:443`, T0 + i);
    assert.deepEqual(keys(b), ['tcp 151.101.0.0/16:443']);
    assert.equal(b.canonical('connect', 'tcp 151.101.200.9:443'), 'tcp 151.101.0.0/16:443');
    // IPv6 the same way, /64
    for (let i = 1; i <= 4; i++) see(b, `tcp [2001:db8:0:1::${i}]:443`, T0 + i);
    assert.ok(keys(b).includes('tcp [2001:db8:0:1::/64]:443'));
    // distinct destinations past connectCollapseThreshold: the port
    for (let i = 1; i <= 6; i++) see(b, `tcp 172.${16 + i}.0.1:443`, T0 + i);
    assert.deepEqual(keys(b), ['tcp *:443']);
  });

  it('peers and names never collapse into ranges; a stable baseline alerts on an address outside its ranges', () => {
    const e = testEngine({ learning: { cidrCollapseThreshold: 3 } });
    const evs = [1, 2, 3, 4].map((i) => connect(`10.0.3.${i}`, 5432));
    const svc = connect('10.96.0.20', 5432);
    svc.peer = 'svc:db/postgres';
    const t = learnThenStable(e, [...evs, svc]);
    const b = [...e.profiler.baselines.values()][0];
    assert.deepEqual(keys(b), ['tcp 10.0.3.0/24:5432', 'tcp svc:db/postgres:5432']);
    assert.equal(fire(e, connect('10.0.3.99', 5432, { time: t + 1 })).length, 0, 'inside a learned range');
    const moved = connect('10.96.7.7', 5432, { time: t + 2 });
    moved.peer = 'svc:db/postgres';
    assert.equal(fire(e, moved).length, 0, 'the service, at a new address after a reschedule');
    const a = fire(e, connect('10.0.9.9', 5432, { time: t + 3 }));
    assert.equal(a[0]?.alert.rule, 'unexpected-connect');
  });
});
