// The Generalizer (memoised generalisation a Profiler owns) answers exactly what the
// pure functions answer, keeps one string object per value, and stays bounded.
import assert from 'node:assert/strict';
import { generalizeArgs, generalizePath } from '../../../models/baseline/generalize.ts';
import { Generalizer } from '../../../models/baseline/names.ts';
import { plainNames } from '../../../models/baseline/items.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { DEFAULT_LEARNING } from '../../../models/baseline/baseline.ts';

const PATHS = [
  '/usr/bin/python3.11',
  '/proc/1234/stat',
  '/proc/1234',
  '/proc/1/task/77/status',
  '/proc/self/fd/3',
  '/tmp/tmp.Xa81kQz0pL',
  '/tmp/tmp.4fGhQ2zzYx/run.sh',
  '/var/cache/app/3f9a0c1d22ab/x',
  '/var/log/app.2024-01-01.log',
  '/lib/x86_64-linux-gnu/libssl.so.1.1',
  '/a//b/c',
  '/data/dir/',
  '/bin/x (deleted)',
  'memfd:payload (deleted)',
  'socket:[123456]',
  '/',
];

describe('models/baseline/names: the Generalizer', () => {
  it('answers what generalizePath answers, the second time from its memo', () => {
    const g = new Generalizer();
    for (const p of PATHS) assert.equal(g.path(p), generalizePath(p), p);
    for (const p of PATHS) assert.equal(g.path(p), generalizePath(p), `${p} (memoised)`);
    const argv = ['/usr/bin/app', '--config=/etc/app/3f9a0c1d22ab.yaml', '8080', '/tmp/tmp.Xa81kQz0pL', 'run'];
    assert.equal(g.args(argv), generalizeArgs(argv));
  });

  it('destination keys as plainNames builds them', () => {
    const g = new Generalizer();
    for (const [proto, host, port] of [
      ['tcp', '10.0.0.5', 5432],
      ['udp', '10.0.0.5', 53],
      ['tcp', 'fd00::5', 443],
      ['tcp', 'svc:db/postgres', 5432],
    ] as const) {
      assert.equal(g.netKey(proto, host, port), plainNames.netKey(proto, host, port));
    }
  });

  it('hands out one string object per value, so baselines compare pointers', () => {
    const g = new Generalizer();
    const a = g.path('/proc/1/stat');
    const b = g.path('/proc/2/stat');
    assert.equal(a, b);
    assert.equal(g.intern(`${'tcp'} ${'10.0.0.5'}:${5432}`), g.netKey('tcp', '10.0.0.5', 5432));
  });

  it('stays within its bound: a memo starts over when full, answers unchanged', () => {
    const g = new Generalizer(8);
    const seen = new Map<string, string>();
    for (let i = 0; i < 100; i++) {
      const p = `/srv/app${i}/data/file${i}.db`;
      seen.set(p, g.path(p));
    }
    for (const [p, want] of seen) assert.equal(g.path(p), want);
    const sizes = g as unknown as { paths: Map<string, string>; dirs: Map<string, unknown>; interned: Map<string, string> };
    assert.ok(sizes.paths.size <= 8 && sizes.dirs.size <= 8 && sizes.interned.size <= 8);
  });

  it('belongs to its Profiler: two profilers share no memo', () => {
    const p1 = new Profiler(DEFAULT_LEARNING);
    const p2 = new Profiler(DEFAULT_LEARNING);
    assert.notEqual(p1.names, p2.names);
  });
});
