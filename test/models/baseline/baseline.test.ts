import assert from 'node:assert/strict';
import { Baseline, globToRegExp } from '../../../models/baseline/baseline.ts';
import { testLearning, testMeta, T0 } from '../../support/events.ts';

const meta = testMeta;

const cfg = testLearning({ collapseThreshold: 4, connectCollapseThreshold: 3 });

describe('models/baseline/baseline', () => {
  it('learns items with count, first/last seen and nodes', () => {
    const b = new Baseline(meta());
    assert.deepEqual(b.observe('exec', '/usr/bin/app', T0, 'node-a', cfg), { novel: true, lineageNovel: false });
    assert.deepEqual(b.observe('exec', '/usr/bin/app', T0 + 5000, 'node-b', cfg), { novel: false, lineageNovel: false });
    b.observe('exec', '/usr/bin/app', T0 + 1000, 'node-a', cfg); // out of order: lastSeen keeps the max
    const it = b.get('exec', '/usr/bin/app')!;
    assert.equal(it.count, 3);
    assert.equal(it.firstSeen, T0);
    assert.equal(it.lastSeen, T0 + 5000);
    assert.deepEqual(it.nodes, ['node-a', 'node-b']);
    assert.equal(b.size, 1);
    assert.equal(b.meta.lastNewItemAt, T0);
  });

  it('does not learn when not learning; a known item still counts', () => {
    const b = new Baseline(meta());
    b.observe('file_write', '/data/x', T0, 'n', cfg);
    b.meta.state = 'stable';
    assert.equal(b.observe('file_write', '/data/y', T0 + 1, 'n', cfg).novel, true);
    assert.equal(b.has('file_write', '/data/y'), false);
    assert.equal(b.observe('file_write', '/data/x', T0 + 2, 'n', cfg).novel, false);
    assert.equal(b.get('file_write', '/data/x')!.count, 2);
  });

  describe('directory collapse', () => {
    it('a directory past collapseThreshold collapses to dir/* and merges counts', () => {
      const b = new Baseline(meta());
      for (const n of ['a', 'b', 'c', 'd']) {
        b.observe('file_write', `/var/cache/app/${n}`, T0, 'node-a', cfg);
        b.observe('file_write', `/var/cache/app/${n}`, T0 + 10, 'node-a', cfg);
      }
      assert.equal(b.size, 4, 'at the threshold nothing collapses');
      b.observe('file_write', '/var/cache/app/e', T0 + 20, 'node-b', cfg);
      const items = [...b.items.get('file_write')!.keys()];
      assert.deepEqual(items, ['/var/cache/app/*']);
      const star = b.get('file_write', '/var/cache/app/*')!;
      assert.equal(star.count, 9);
      assert.equal(star.firstSeen, T0);
      assert.equal(star.lastSeen, T0 + 20);
      assert.deepEqual(star.nodes.sort(), ['node-a', 'node-b']);
      assert.equal(b.size, 1);
      assert.deepEqual(b.meta.collapsed.file_write, ['/var/cache/app']);
    });

    it('later lookups of new children match the wildcard (canonical and get)', () => {
      const b = new Baseline(meta());
      for (const n of ['a', 'b', 'c', 'd', 'e']) b.observe('file_write', `/var/cache/app/${n}`, T0, 'n', cfg);
      assert.equal(b.canonical('file_write', '/var/cache/app/zzz'), '/var/cache/app/*');
      assert.equal(b.canonical('file_write', '/var/cache/app/zzz/deeper'), '/var/cache/app/*/deeper');
      assert.equal(b.canonical('file_write', '/var/cache/other'), '/var/cache/other');
      assert.ok(b.has('file_write', '/var/cache/app/zzz'));
      // other kinds are not affected by a file_write collapse
      assert.equal(b.canonical('exec', '/var/cache/app/zzz'), '/var/cache/app/zzz');
      b.meta.state = 'stable';
      assert.equal(b.observe('file_write', b.canonical('file_write', '/var/cache/app/new'), T0 + 1, 'n', cfg).novel, false);
    });

    it('children of different directories do not add up', () => {
      const b = new Baseline(meta());
      for (const d of ['x', 'y']) for (const n of ['a', 'b', 'c']) b.observe('file_write', `/srv/${d}/${n}`, T0, 'n', cfg);
      assert.equal(b.size, 6);
      assert.equal(b.meta.collapsed.file_write, undefined);
    });

    it('connect destinations collapse per proto+port past connectCollapseThreshold', () => {
      const b = new Baseline(meta());
      for (let i = 1; i <= 4; i++) b.observe('connect', `tcp 10.0.0.${i}:5432`, T0 + i, 'n', cfg);
      b.observe('connect', 'tcp 10.0.0.1:6379', T0, 'n', cfg);
      b.observe('connect', 'udp 10.0.0.9:5432', T0, 'n', cfg);
      assert.deepEqual([...b.items.get('connect')!.keys()].sort(), ['tcp *:5432', 'tcp 10.0.0.1:6379', 'udp 10.0.0.9:5432']);
      assert.equal(b.get('connect', 'tcp *:5432')!.count, 4);
      assert.equal(b.canonical('connect', 'tcp 192.168.1.1:5432'), 'tcp *:5432');
      assert.equal(b.canonical('connect', 'tcp 192.168.1.1:6379'), 'tcp 192.168.1.1:6379');
      assert.equal(b.canonical('connect', 'udp 192.168.1.1:5432'), 'udp 192.168.1.1:5432');
      assert.deepEqual(b.meta.collapsed.connect, ['tcp 5432']);
    });
  });

  describe('glob items (approve)', () => {
    it('* matches exactly one path segment', () => {
      const b = new Baseline(meta({ state: 'stable' }));
      b.putItem('file_write', { key: '/data/*.json', count: 0, firstSeen: T0, lastSeen: T0, nodes: [] });
      assert.ok(b.has('file_write', '/data/a.json'));
      assert.ok(!b.has('file_write', '/data/sub/a.json'));
      assert.ok(!b.has('file_write', '/data/a.jsonx'));
      assert.ok(!b.has('file_write', '/dataXa.json'));
    });

    it('** matches any depth', () => {
      const b = new Baseline(meta({ state: 'stable' }));
      b.putItem('file_write', { key: '/var/lib/app/**', count: 0, firstSeen: T0, lastSeen: T0, nodes: [] });
      assert.ok(b.has('file_write', '/var/lib/app/a'));
      assert.ok(b.has('file_write', '/var/lib/app/a/b/c.db'));
      assert.ok(!b.has('file_write', '/var/lib/other/a'));
      assert.equal(b.get('file_write', '/var/lib/app/x/y')!.key, '/var/lib/app/**');
    });

    it('network globs: * is one host; regex metacharacters are literal', () => {
      assert.ok(globToRegExp('tcp *:443', 'connect').test('tcp 10.1.2.3:443'));
      assert.ok(!globToRegExp('tcp *:443', 'connect').test('tcp 10.1.2.3:4430'));
      assert.ok(globToRegExp('tcp *.svc.cluster.local:80', 'connect').test('tcp db.shop.svc.cluster.local:80'));
      assert.ok(!globToRegExp('/a.b', 'file_write').test('/axb'));
      assert.ok(globToRegExp('/a(1)+[x]', 'file_write').test('/a(1)+[x]'));
    });

    it('the most specific glob explains a match; removing an item removes its glob', () => {
      const b = new Baseline(meta({ state: 'stable' }));
      b.putItem('file_write', { key: '/srv/**', count: 0, firstSeen: T0, lastSeen: T0, nodes: [] });
      b.putItem('file_write', { key: '/srv/app/*.log', count: 0, firstSeen: T0, lastSeen: T0, nodes: [] });
      assert.equal(b.get('file_write', '/srv/app/x.log')!.key, '/srv/app/*.log');
      assert.ok(b.removeItem('file_write', '/srv/**'));
      assert.equal(b.has('file_write', '/srv/other/x'), false);
      assert.equal(b.size, 1);
      assert.ok(b.removed.has('file_write\u0000/srv/**'));
    });
  });

  it('closest() ranks by shared directories, then file name; for net keys by port', () => {
    const b = new Baseline(meta());
    for (const k of ['/usr/bin/app', '/usr/bin/curl', '/usr/local/bin/app', '/opt/x']) b.observe('exec', k, T0, 'n', cfg);
    const c = b.closest('exec', '/usr/bin/wget', 2);
    assert.deepEqual(c.sort(), ['/usr/bin/app', '/usr/bin/curl']);
    assert.equal(b.closest('exec', '/usr/local/bin/app', 1)[0], '/usr/local/bin/app');
    assert.deepEqual(b.closest('listen', 'tcp *:80'), []);
    for (const k of ['tcp 10.0.0.1:5432', 'tcp 10.9.9.9:443', 'udp 10.0.0.1:53']) b.observe('connect', k, T0, 'n', cfg);
    assert.equal(b.closest('connect', 'tcp 10.0.0.2:443', 1)[0], 'tcp 10.9.9.9:443');
    assert.equal(b.closest('exec', '/x', 10).length, 4);
  });

  it('past the size budget it becomes unstable and stops learning', () => {
    const small = testLearning({ maxItems: 3 });
    const b = new Baseline(meta());
    for (const k of ['a', 'b', 'c']) assert.equal(b.observe('exec', `/bin/${k}`, T0, 'n', small).novel, true);
    assert.equal(b.meta.state, 'learning');
    b.observe('exec', '/bin/d', T0 + 1, 'n', small);
    assert.equal(b.meta.state, 'unstable');
    assert.match(b.meta.unstableReason ?? '', /size budget/);
    assert.equal(b.has('exec', '/bin/d'), false);
    assert.equal(b.size, 3);
    assert.equal(b.learning(), false);
    assert.equal(b.enforcing(), false, 'novelty is off while unstable');
    // known items still count
    assert.equal(b.observe('exec', '/bin/a', T0 + 2, 'n', small).novel, false);
    assert.equal(b.get('exec', '/bin/a')!.count, 2);
  });

  it('exec detail: parents (bounded, then *) and arg patterns while learning', () => {
    const b = new Baseline(meta());
    const c = testLearning({ maxParents: 2, maxArgPatterns: 2 });
    b.observe('exec', '/bin/sh', T0, 'n', c, { parent: '/usr/bin/app', args: '-c *' });
    b.observe('exec', '/bin/sh', T0, 'n', c, { parent: '/usr/bin/cron', args: '-c x' });
    b.observe('exec', '/bin/sh', T0, 'n', c, { parent: '/usr/bin/app', args: '-c y' });
    assert.deepEqual(b.get('exec', '/bin/sh')!.detail, { parents: ['/usr/bin/app', '/usr/bin/cron'], args: ['-c *', '-c x'] });
    b.observe('exec', '/bin/sh', T0, 'n', c, { parent: '/usr/bin/other' });
    assert.deepEqual(b.get('exec', '/bin/sh')!.detail!.parents, ['*'], 'too many parents: lineage carries no signal');
    b.meta.state = 'stable';
    assert.equal(b.observe('exec', '/bin/sh', T0, 'n', c, { parent: '/usr/bin/new' }).lineageNovel, false);
  });

  it('lineage: a known binary from a new parent is lineage-novel once stable', () => {
    const b = new Baseline(meta());
    b.observe('exec', '/bin/sh', T0, 'n', cfg, { parent: '/usr/bin/app' });
    b.observe('exec', '/usr/bin/app', T0, 'n', cfg, {});
    b.meta.state = 'stable';
    assert.deepEqual(b.observe('exec', '/bin/sh', T0 + 1, 'n', cfg, { parent: '/usr/bin/app' }), { novel: false, lineageNovel: false });
    assert.deepEqual(b.observe('exec', '/bin/sh', T0 + 2, 'n', cfg, { parent: '/usr/bin/python3' }), { novel: false, lineageNovel: true });
    // a binary whose parent was never known has no lineage to violate
    assert.deepEqual(b.observe('exec', '/usr/bin/app', T0 + 3, 'n', cfg, { parent: '/x' }), { novel: false, lineageNovel: false });
    assert.deepEqual(b.get('exec', '/bin/sh')!.detail!.parents, ['/usr/bin/app'], 'nothing is learned while stable');
  });

  it('file_write ops are remembered', () => {
    const b = new Baseline(meta());
    b.observe('file_write', '/data/x', T0, 'n', cfg, { op: 'create' });
    b.observe('file_write', '/data/x', T0, 'n', cfg, { op: 'write' });
    b.observe('file_write', '/data/x', T0, 'n', cfg, { op: 'write' });
    assert.deepEqual(b.get('file_write', '/data/x')!.detail!.ops, ['create', 'write']);
  });

  it('dirty and removed sets track what the store must flush', () => {
    const b = new Baseline(meta());
    b.observe('exec', '/bin/a', T0, 'n', cfg);
    assert.ok(b.dirty.has('exec\u0000/bin/a'));
    b.dirty.clear();
    b.observe('exec', '/bin/a', T0 + 1, 'n', cfg);
    assert.ok(b.dirty.has('exec\u0000/bin/a'), 'a count change is dirty too');
  });

  it('snapshot round-trip keeps items, meta and collapse rules', () => {
    const b = new Baseline(meta());
    for (const n of ['a', 'b', 'c', 'd', 'e']) b.observe('file_write', `/var/cache/app/${n}`, T0, 'n', cfg, { op: 'write' });
    b.observe('exec', '/bin/sh', T0, 'n', cfg, { parent: '/usr/bin/app', args: '-c *' });
    b.putItem('file_open', { key: '/etc/**', count: 0, firstSeen: T0, lastSeen: T0, nodes: [] });
    const snap = JSON.parse(JSON.stringify(b.snapshot()));
    const r = Baseline.fromSnapshot(snap);
    assert.equal(r.key, 'shop/Deployment/web#app');
    assert.deepEqual(r.snapshot(), b.snapshot());
    assert.equal(r.size, b.size);
    assert.equal(r.dirty.size, 0);
    assert.equal(r.metaDirty, false);
    // collapse rules and globs still apply after loading
    assert.equal(r.canonical('file_write', '/var/cache/app/new'), '/var/cache/app/*');
    assert.ok(r.has('file_open', '/etc/ssl/x'));
  });

  it('a snapshot is a copy: later learning does not change it', () => {
    const b = new Baseline(meta());
    b.observe('exec', '/bin/a', T0, 'n', cfg, { parent: '/p' });
    const snap = b.snapshot();
    b.observe('exec', '/bin/a', T0 + 9, 'other', cfg, { parent: '/q' });
    for (const n of ['a', 'b', 'c', 'd', 'e']) b.observe('file_write', `/x/${n}`, T0, 'n', cfg);
    const it = snap.items.exec![0];
    assert.equal(it.count, 1);
    assert.equal(it.lastSeen, T0);
    assert.deepEqual(it.nodes, ['n']);
    assert.deepEqual(it.detail!.parents, ['/p']);
    assert.deepEqual(snap.meta.collapsed, {});
  });

  it('clear() drops items and collapse rules', () => {
    const b = new Baseline(meta());
    for (const n of ['a', 'b', 'c', 'd', 'e']) b.observe('file_write', `/x/${n}`, T0, 'n', cfg);
    b.clear();
    assert.equal(b.size, 0);
    assert.deepEqual(b.meta.collapsed, {});
    assert.equal(b.canonical('file_write', '/x/z'), '/x/z');
    assert.ok(b.removed.has('file_write\u0000/x/*'));
  });
});
