import assert from 'node:assert/strict';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { itemKeys, splitNetKey, hostPort } from '../../../models/baseline/items.ts';
import { exec, write, open, listen, connect, syscalls, testLearning, T0, MIN } from '../../support/events.ts';

const cfg = testLearning();

describe('models/baseline/profiler', () => {
  describe('item keys', () => {
    it('one generalised key per event kind', () => {
      assert.deepEqual(itemKeys(exec('/usr/bin/python3.11')), ['/usr/bin/python*']);
      assert.deepEqual(itemKeys(write('/proc/123/oom_score_adj')), ['/proc/*/oom_score_adj']);
      assert.deepEqual(itemKeys(open('/var/run/secrets/kubernetes.io/serviceaccount/token')), ['/var/run/secrets/kubernetes.io/serviceaccount/token']);
      assert.deepEqual(itemKeys(listen(8080)), ['tcp *:8080']);
      assert.deepEqual(itemKeys(listen(53, {}, '::', 'udp')), ['udp *:53']);
      assert.deepEqual(itemKeys(listen(8080, {}, '127.0.0.1')), ['tcp 127.0.0.1:8080']);
      assert.deepEqual(itemKeys(connect('10.0.0.5', 5432)), ['tcp 10.0.0.5:5432']);
      assert.deepEqual(itemKeys(connect('::ffff:10.0.0.5', 5432)), ['tcp 10.0.0.5:5432']);
      assert.deepEqual(itemKeys(connect('fd00::5', 443)), ['tcp [fd00::5]:443']);
      assert.deepEqual(itemKeys(connect('10.0.0.5', 443, {}, 'api.example.com')), ['tcp api.example.com:443'], 'a DNS name wins over the address');
      assert.deepEqual(itemKeys(syscalls(['read', 'write'])), ['read', 'write']);
    });

    it('net keys split back into proto, host, port', () => {
      assert.deepEqual(splitNetKey('tcp 10.0.0.5:5432'), ['tcp', '10.0.0.5', '5432']);
      assert.deepEqual(splitNetKey('tcp [fd00::5]:443'), ['tcp', 'fd00::5', '443']);
      assert.equal(splitNetKey('nonsense'), undefined);
      assert.equal(hostPort('fd00::5', 1), '[fd00::5]:1');
    });
  });

  it('one baseline per workload + container; replicas on other nodes share it', () => {
    const p = new Profiler(cfg);
    const a = p.observe(exec('/usr/bin/app', { node: 'node-a', pid: 1 }), T0).baseline;
    const b = p.observe(exec('/usr/bin/app', { node: 'node-b', pid: 2 }), T0 + 1).baseline;
    const side = p.observe(exec('/usr/bin/envoy', { container: 'sidecar' }), T0).baseline;
    const other = p.observe(exec('/usr/bin/app', { workload: 'shop/Deployment/api' }), T0).baseline;
    assert.equal(a, b);
    assert.deepEqual(a.get('exec', '/usr/bin/app')!.nodes, ['node-a', 'node-b']);
    assert.notEqual(a, side);
    assert.notEqual(a, other);
    assert.equal(side.key, 'shop/Deployment/web#sidecar');
    assert.equal(p.baselines.size, 3);
  });

  it('learns while learning: every new item is reported once, nothing is novel twice', () => {
    const p = new Profiler(cfg);
    const o1 = p.observe(exec('/usr/bin/app'), T0);
    assert.deepEqual(o1.novel, ['/usr/bin/app']);
    assert.equal(o1.kind, 'exec');
    const o2 = p.observe(exec('/usr/bin/app'), T0 + 1);
    assert.deepEqual(o2.novel, []);
    assert.deepEqual(o2.items, ['/usr/bin/app']);
  });

  it('items are mapped through the collapse rules of the baseline', () => {
    const p = new Profiler(testLearning({ collapseThreshold: 3 }));
    for (const n of ['a', 'b', 'c', 'd']) p.observe(write(`/srv/cache/${n}`), T0);
    const o = p.observe(write('/srv/cache/zz'), T0 + 1);
    assert.deepEqual(o.items, ['/srv/cache/*']);
    assert.deepEqual(o.novel, []);
  });

  describe('syscall sets', () => {
    it('one item per name; only the unseen names are novel', () => {
      const p = new Profiler(cfg);
      const o1 = p.observe(syscalls(['read', 'write', 'epoll_wait']), T0);
      assert.deepEqual(o1.items, ['read', 'write', 'epoll_wait']);
      p.tickAll(T0 + 20 * MIN);
      assert.equal(o1.baseline.meta.state, 'stable');
      const o2 = p.observe(syscalls(['read', 'ptrace', 'write', 'mount']), T0 + 21 * MIN);
      assert.deepEqual(o2.items, ['read', 'ptrace', 'write', 'mount']);
      assert.deepEqual(o2.novel, ['ptrace', 'mount']);
      assert.equal(o1.baseline.get('syscall', 'read')!.count, 2);
    });

    it('an empty set is nothing', () => {
      const p = new Profiler(cfg);
      const o = p.observe(syscalls([]), T0);
      assert.deepEqual(o.items, []);
      assert.deepEqual(o.novel, []);
    });
  });

  describe('exec lineage', () => {
    it('a known binary from a parent it never had is lineage-novel once stable', () => {
      const p = new Profiler(cfg);
      p.observe(exec('/bin/sh', { parents: ['/usr/bin/app'], args: ['sh', '-c', 'date'] }), T0);
      p.observe(exec('/usr/bin/app'), T0);
      p.tickAll(T0 + 20 * MIN);
      const same = p.observe(exec('/bin/sh', { parents: ['/usr/bin/app'] }), T0 + 21 * MIN);
      assert.equal(same.lineageNovel, false);
      const fromPython = p.observe(exec('/bin/sh', { parents: ['/usr/bin/python3'] }), T0 + 22 * MIN);
      assert.equal(fromPython.lineageNovel, true);
      assert.deepEqual(fromPython.novel, []);
      // parents are generalised: another python version is the same parent
      const b = fromPython.baseline;
      b.meta.state = 'learning';
      p.observe(exec('/bin/sh', { parents: ['/usr/bin/python3.11'] }), T0 + 23 * MIN);
      assert.deepEqual(b.get('exec', '/bin/sh')!.detail!.parents, ['/usr/bin/app', '/usr/bin/python*']);
    });

    it('arg patterns are learned generalised, only while learning', () => {
      const p = new Profiler(cfg);
      const b = p.observe(exec('/bin/sleep', { args: ['sleep', '30'] }), T0).baseline;
      p.observe(exec('/bin/sleep', { args: ['sleep', '45'] }), T0 + 1);
      assert.deepEqual(b.get('exec', '/bin/sleep')!.detail!.args, ['*']);
      p.tickAll(T0 + 20 * MIN);
      p.observe(exec('/bin/sleep', { args: ['sleep', 'infinity'] }), T0 + 21 * MIN);
      assert.deepEqual(b.get('exec', '/bin/sleep')!.detail!.args, ['*']);
    });
  });

  describe('frozen mode (replay after the learning cut)', () => {
    it('freeze() makes learning baselines stable and nothing is learned afterwards', () => {
      const p = new Profiler(cfg);
      const b = p.observe(exec('/usr/bin/app'), T0).baseline;
      p.freeze(T0 + 1000);
      assert.equal(p.frozen, true);
      assert.equal(b.meta.state, 'stable');
      assert.equal(b.meta.stableSince, T0 + 1000);
      const o = p.observe(exec('/usr/bin/curl'), T0 + 2000);
      assert.deepEqual(o.novel, ['/usr/bin/curl']);
      const again = p.observe(exec('/usr/bin/curl'), T0 + 3000);
      assert.deepEqual(again.novel, ['/usr/bin/curl'], 'still novel: frozen baselines do not learn');
      assert.equal(b.has('exec', '/usr/bin/curl'), false);
      assert.equal(b.get('exec', '/usr/bin/app')!.count, 1, 'frozen baselines are not even counted');
    });

    it('a workload first seen after the cut has an empty stable baseline: everything is novel', () => {
      const p = new Profiler(cfg);
      p.freeze(T0);
      const o = p.observe(listen(4444, { workload: 'shop/Deployment/new' }), T0 + 1);
      assert.equal(o.baseline.meta.state, 'stable');
      assert.deepEqual(o.novel, ['tcp *:4444']);
    });

    it('locked and unstable keep their state; tickAll and image changes do nothing', () => {
      const p = new Profiler(cfg);
      const b = p.observe(exec('/usr/bin/app', { image: 'web:1' }), T0).baseline;
      b.meta.state = 'unstable';
      p.freeze(T0 + 1);
      assert.equal(b.meta.state, 'unstable');
      p.observe(exec('/usr/bin/app', { image: 'web:2' }), T0 + 2);
      assert.equal(b.meta.version, 1);
      assert.equal(b.meta.image, 'web:1');
      p.tickAll(T0 + 100 * MIN);
      assert.equal(b.meta.state, 'unstable');
    });

    it('lineage is judged in frozen mode too', () => {
      const p = new Profiler(cfg);
      p.observe(exec('/bin/sh', { parents: ['/usr/bin/app'] }), T0);
      p.freeze(T0 + 1);
      assert.equal(p.observe(exec('/bin/sh', { parents: ['/usr/bin/app'] }), T0 + 2).lineageNovel, false);
      assert.equal(p.observe(exec('/bin/sh', { parents: ['/usr/sbin/nginx'] }), T0 + 3).lineageNovel, true);
    });
  });
});
