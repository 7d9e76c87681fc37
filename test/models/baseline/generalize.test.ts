import assert from 'node:assert/strict';
import {
  generalizeArg,
  generalizeArgs,
  generalizePath,
  generalizeSegment,
  isEphemeralPort,
  normalizeAddr,
} from '../../../models/baseline/generalize.ts';
import { Generalizer } from '../../../models/baseline/names.ts';

function same(cases: [string, string][], fn: (s: string) => string): void {
  for (const [input, want] of cases) assert.equal(fn(input), want, `generalise ${input}`);
}

describe('models/baseline/generalize', () => {
  describe('paths that vary per run become wildcards', () => {
    it('temp names: mktemp tmp.XXXXXXXXXX and python tmpXXXXXXXX', () => {
      same(
        [
          ['/tmp/tmp.Xa81kQz0pL', '/tmp/*'],
          ['/tmp/tmp.4fGhQ2zzYx/run.sh', '/tmp/*/run.sh'],
          ['/tmp/tmp.AbCdEfGhIj', '/tmp/*'], // mktemp without a digit (about 1 name in 6)
          ['/tmp/tmpk3j_9x2a', '/tmp/*'],
          ['/tmp/tmp8wq1zz0r', '/tmp/*'],
          ['/tmp/tmpab1cdefg.json', '/tmp/*.json'], // NamedTemporaryFile(suffix=".json"), one digit
          ['/tmp/tmpk3j9x2ab.json', '/tmp/*.json'],
          ['/var/tmp/npm-12ab9Xc-cache/x', '/var/tmp/npm-*-cache/x'],
          ['/tmp/foo.Ab3dEf', '/tmp/foo.*'], // mktemp template foo.XXXXXX
        ],
        generalizePath,
      );
    });

    it('pids and fds in /proc paths', () => {
      same(
        [
          ['/proc/1234/stat', '/proc/*/stat'],
          ['/proc/1/cgroup', '/proc/*/cgroup'],
          ['/proc/987654/task/987655/status', '/proc/*/task/*/status'],
          ['/proc/self/fd/3', '/proc/self/fd/*'],
          ['/proc/31337/fd/12', '/proc/*/fd/*'],
          ['/proc/42', '/proc/*'],
          ['/proc/42/', '/proc/*'],
          ['/proc/42//status', '/proc/*/status'],
          ['/proc/42/exe (deleted)', '/proc/*/exe (deleted)'],
          ['/proc/7/root/tmp/tmp.Xa81kQz0pL', '/proc/*/root/tmp/*'],
          ['/proc/12abc/status', '/proc/12abc/status'],
        ],
        generalizePath,
      );
    });

    it('the /proc/<pid> shortcut answers as the general rules do, for any pid, memo or not', () => {
      const rests = ['', '/', '/status', '/fd/3', '/task/77/stat', '/root/var/log/app.2024-01-01.log', '/cwd (deleted)', '//x'];
      for (const rest of rests) {
        const first = generalizePath(`/proc/1${rest}`);
        for (const pid of ['2', '31337', '0', '4294967295']) assert.equal(generalizePath(`/proc/${pid}${rest}`), first, `/proc/${pid}${rest}`);
        // the general rules, without the shortcut: a pid-like segment elsewhere in the path
        assert.equal(first.replace(/^\/proc\/\*/, ''), generalizePath(`/x/1${rest}`).replace(/^\/x\/\*/, ''), rest);
      }
    });

    it('versioned libraries and interpreters', () => {
      same(
        [
          ['/usr/lib/x86_64-linux-gnu/libssl.so.1.1', '/usr/lib/x86_64-linux-gnu/libssl.so.*'],
          ['/usr/lib/x86_64-linux-gnu/libssl.so.3.0.13', '/usr/lib/x86_64-linux-gnu/libssl.so.*'],
          ['/usr/lib/libfoo-1.2.3.so', '/usr/lib/libfoo-*.so'],
          ['/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', '/usr/lib/x86_64-linux-gnu/libstdc++.so.*'],
          ['/usr/bin/python3.11', '/usr/bin/python*'],
          ['/usr/local/lib/python3.11/site-packages/x.py', '/usr/local/lib/python*/site-packages/x.py'],
          ['/opt/app-2.14.1/bin/app', '/opt/app-*/bin/app'],
        ],
        generalizePath,
      );
      // two releases of one library map to one item
      assert.equal(generalizePath('/lib/libcrypto.so.1.1'), generalizePath('/lib/libcrypto.so.3.0.2'));
    });

    it('hashes: sha256 hex, container ids, short hex ids', () => {
      const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
      same(
        [
          [`/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/${sha}`, '/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/*'],
          [`/cache/${sha}.tar.gz`, '/cache/*.tar.gz'],
          ['/cache/3f9a0c1d22/x', '/cache/*/x'],
          ['/srv/objects/ab12cd34', '/srv/objects/*'],
          ['/srv/objects/deadbeef12/blob', '/srv/objects/*/blob'],
          ['/var/cache/app/a1b2c3d4e5f6.bin', '/var/cache/app/*.bin'],
        ],
        generalizePath,
      );
    });

    it('uuids, kubelet pod dirs and container ids', () => {
      const uid = '7f3a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6';
      const cid = '4c01db0b339c2f6a5e8b9a1d4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e';
      same(
        [
          [`/data/${uid}/part`, '/data/*/part'],
          [`/var/lib/kubelet/pods/${uid}/volumes/kubernetes.io~secret/tls/tls.crt`, '/var/lib/kubelet/pods/*/volumes/kubernetes.io~secret/tls/tls.crt'],
          [`/var/lib/kubelet/pods/${uid}/containers/app/0a1b2c3d`, '/var/lib/kubelet/pods/*/containers/app/*'],
          [`/run/containerd/io.containerd.runtime.v2.task/k8s.io/${cid}/rootfs`, '/run/containerd/io.containerd.runtime.v2.task/k8s.io/*/rootfs'],
          [`/sys/fs/cgroup/kubepods.slice/cri-containerd-${cid}.scope/cgroup.procs`, '/sys/fs/cgroup/kubepods.slice/cri-containerd-*.scope/cgroup.procs'],
          [`/sys/fs/cgroup/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice/memory.max`, '/sys/fs/cgroup/kubepods-burstable-pod*.slice/memory.max'],
          // the pod-template hash and the uid vary; the 5-letter pod suffix is left to directory collapse
          [`/var/log/pods/shop_web-7d9f8b6c5d-x2x7k_${uid}/app/0.log`, '/var/log/pods/shop_web-*-x2x7k_*/app/0.log'],
          [`/var/lib/docker/containers/${cid}/${cid}-json.log`, '/var/lib/docker/containers/*/*-json.log'],
        ],
        generalizePath,
      );
    });

    it('timestamps in file names', () => {
      same(
        [
          ['/var/log/app/app-20240101.log', '/var/log/app/app-*.log'],
          ['/var/log/app/access.log.2024-01-01', '/var/log/app/access.log.*'],
          ['/var/log/app/app-2024-01-01T10-00-00.log', '/var/log/app/app-*.log'],
          ['/backup/db_20240101_101112.sql.gz', '/backup/db_*.sql.gz'],
          ['/backup/dump-20240101T101112Z.sql', '/backup/dump-*.sql'],
          ['/var/spool/out/1700000000123.json', '/var/spool/out/*.json'],
          ['/data/snap-1700000000.db', '/data/snap-*.db'],
        ],
        generalizePath,
      );
      // two days of one rotated log are one item
      assert.equal(generalizePath('/var/log/x/app.2024-01-01.log'), generalizePath('/var/log/x/app.2024-12-31.log'));
    });

    it('pseudo-paths keep their shape minus ids', () => {
      assert.equal(generalizePath('socket:[123456]'), 'socket:[*]');
      assert.equal(generalizePath('/memfd:payload (deleted)'), '/memfd:payload (deleted)');
      assert.equal(generalizePath('/tmp/tmp.Xa81kQz0pL (deleted)'), '/tmp/* (deleted)');
      assert.equal(generalizePath('anon_inode:[eventfd]'), 'anon_inode:[eventfd]');
    });

    it('a relative name (a directory the source could not resolve) generalises as a path does', () => {
      // find -delete, gzip: unlinkat/openat relative to a directory descriptor
      assert.equal(generalizePath('29fc69fcb56750d4e9e315139a3561b53c4b4812.bin'), '*.bin');
      assert.equal(generalizePath('a3f9c1d2e4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9.bin'), generalizePath('0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c.bin'));
      assert.equal(generalizePath('worker.log.3.gz'), 'worker.log.*.gz');
      assert.equal(generalizePath('cache/1234/x.json'), 'cache/*/x.json');
      assert.equal(new Generalizer().path('29fc69fcb56750d4e9e315139a3561b53c4b4812.bin'), '*.bin');
    });

    it('trailing and doubled slashes are normalised', () => {
      assert.equal(generalizePath('/etc//nginx/'), '/etc/nginx');
      assert.equal(generalizePath('/'), '/');
    });
  });

  describe('rotations and hash names (issue 13)', () => {
    it('a number between dots is a rotation or sequence: beyond those learned it is the same item', () => {
      same(
        [
          ['/var/log/app/access.log.3', '/var/log/app/access.log.*'],
          ['/var/log/app/access.log.17', '/var/log/app/access.log.*'],
          ['/var/log/app/app.log.2.gz', '/var/log/app/app.log.*.gz'],
          ['/var/log/syslog.10.gz', '/var/log/syslog.*.gz'],
          ['/data/out/part.7.csv', '/data/out/part.*.csv'],
        ],
        generalizePath,
      );
      // a shared library's ABI version names the library: it stays
      assert.equal(generalizePath('/lib/x86_64-linux-gnu/libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
    });

    it('a hash name is a wildcard as a whole, whatever digits (dates, uuid-like runs) it holds', () => {
      same(
        [
          ['/cache/da39a3ee5e6b4b0d3255bfef95601890afd80709.json', '/cache/*.json'], // a 32-hex run inside used to read as a uuid
          ['/cache/3f9a20191231c1d22e1b5aa9f0b1c2d3e4f5a6b7c8.json', '/cache/*.json'], // …20191231… used to read as a date
          ['/cache/aGVsbG8gd29ybGQgdGhpcyBpcyBi.dat', '/cache/*.dat'],
          ['/cache/q3-Fx_ab9Zk2LmN0pQ7rS8tU.tok', '/cache/*.tok'], // base64url: not cut into literal pieces at - and _
          ['/cache/ZmFrZWJhc2U2NGZpbGVuYW1l', '/cache/*'],
        ],
        generalizePath,
      );
      // names with words keep them: only the varying part is cut out
      for (const [p, want] of [
        ['/var/tmp/npm-12ab9Xc-cache/x', '/var/tmp/npm-*-cache/x'],
        ['/app/TheQuickBrownFox.txt', '/app/TheQuickBrownFox.txt'],
        ['/app/my-application-config', '/app/my-application-config'],
      ])
        assert.equal(generalizePath(p), want);
    });

    it('random hex names always, random base64url names nearly always, generalise fully', () => {
      let seed = 13;
      const rnd = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      const pick = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const HEXD = '0123456789abcdef';
      const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      for (let i = 0; i < 2000; i++) {
        const h = pick(HEXD, 40);
        assert.equal(generalizePath(`/cache/${h}.json`), '/cache/*.json', h);
        assert.equal(generalizePath(`/cache/${pick(HEXD, 64)}`), '/cache/*');
      }
      // a 16-character random name can look like words by chance (≈3%); the directory
      // collapse takes what is left. Longer names almost never.
      for (const [len, atLeast] of [[22, 0.97], [43, 0.99]] as const) {
        let full = 0;
        for (let i = 0; i < 2000; i++) if (generalizePath(`/cache/${pick(B64, len)}`) === '/cache/*') full++;
        assert.ok(full / 2000 >= atLeast, `${len} chars: ${full / 2000}`);
      }
    });
  });

  describe('stable names stay as they are (false-positive guards)', () => {
    it('ordinary binaries, configs and libraries', () => {
      for (const p of [
        '/usr/bin/python3',
        '/usr/bin/python',
        '/etc/nginx/nginx.conf',
        '/lib/x86_64-linux-gnu/libc.so.6',
        '/lib64/ld-linux-x86-64.so.2',
        '/usr/lib/x86_64-linux-gnu/libm.so.6',
        '/usr/lib/aarch64-linux-gnu/libz.so.1',
        '/usr/share/zoneinfo/Europe/Berlin',
        '/usr/bin/sha256sum',
        '/usr/bin/base64',
        '/etc/tmpfiles.d/app.conf',
        '/usr/lib/tmpfiles.d',
        '/var/lib/postgresql/data/pg_wal',
        '/etc/ssl/certs/ca-certificates.crt',
        '/usr/local/bin/node',
        '/app/templates/index.html',
        '/app/temporary/readme.md',
        '/srv/www/deadbeef',
        '/opt/h2o/bin/h2o',
        '/usr/bin/x86_64-linux-gnu-gcc-12',
        '/usr/sbin/nginx',
        '/var/run/secrets/kubernetes.io/serviceaccount/token',
        '/usr/bin/ld.so',
        '/app/node_modules/lodash/index.js',
        '/app/utf8/e2e/md5.js',
      ]) {
        assert.equal(generalizePath(p), p, `${p} must stay`);
      }
    });

    it('ordinary words as segments', () => {
      for (const s of ['template', 'temperature', 'tmpfiles', 'temp', 'tmp', 'Makefile', 'README', 'decade', 'facade', 'x86_64', 'i686', 'ipv6', 'http2', 'log4j', 'k8s', 'v1', 'sha256']) {
        assert.equal(generalizeSegment(s), s, `${s} must stay`);
      }
    });
  });

  describe('args', () => {
    it('generalises numbers, paths and option values; keeps words and IPv4', () => {
      assert.equal(generalizeArg('1234'), '*');
      assert.equal(generalizeArg('/proc/1234/stat'), '/proc/*/stat');
      assert.equal(generalizeArg('--pid=4242'), '--pid=*');
      assert.equal(generalizeArg('--config=/etc/app/app.yaml'), '--config=/etc/app/app.yaml');
      assert.equal(generalizeArg('10.0.0.5'), '10.0.0.5');
      assert.equal(generalizeArg('serve'), 'serve');
      assert.equal(generalizeArg('-c'), '-c');
    });

    it('argv[0] is left out and at most 16 args are kept', () => {
      assert.equal(generalizeArgs(['/bin/sleep', '30']), '*');
      const many = ['/bin/x', ...Array.from({ length: 40 }, (_, i) => `a${i}`)];
      assert.equal(generalizeArgs(many).split(' ').length, 16);
    });

    it('long args are cut at 128 characters', () => {
      const out = generalizeArg('x'.repeat(1000));
      assert.ok(out.length <= 130, `got ${out.length}`);
      assert.ok(out.endsWith('…'));
    });
  });

  describe('addresses and ports', () => {
    it('normalises wildcards, v4-mapped v6 and brackets', () => {
      assert.equal(normalizeAddr('0.0.0.0'), '*');
      assert.equal(normalizeAddr('::'), '*');
      assert.equal(normalizeAddr('[::]'), '*');
      assert.equal(normalizeAddr('::ffff:10.1.2.3'), '10.1.2.3');
      assert.equal(normalizeAddr('FE80::1'), 'fe80::1');
      assert.equal(normalizeAddr('10.0.0.5'), '10.0.0.5');
    });

    it('ephemeral range is the Linux default unless configured', () => {
      assert.equal(isEphemeralPort(32768), true);
      assert.equal(isEphemeralPort(60999), true);
      assert.equal(isEphemeralPort(61000), false);
      assert.equal(isEphemeralPort(8080), false);
      assert.equal(isEphemeralPort(1025, [1024, 65535]), true);
    });
  });
});
