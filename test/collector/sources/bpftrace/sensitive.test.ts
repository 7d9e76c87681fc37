// The sensitive-path list: its syntax, the exact user-space match, the kernel matcher's
// shape in the built program, and the config check at load time.
import assert from 'node:assert/strict';
import { DEFAULT_SENSITIVE_PATHS, matches, matcherCode, parsePattern, parsePatterns } from '../../../../collector/sources/bpftrace/sensitive.ts';
import { buildProgram } from '../../../../collector/sources/bpftrace/program.ts';
import { buildConfig } from '../../../../agent/config/load.ts';
import { ConfigError } from '../../../../agent/config/errors.ts';

describe('sensitive paths', () => {
  it('parses exact paths, directories and one * for a segment', () => {
    assert.deepEqual(parsePattern('/etc/shadow'), { text: '/etc/shadow', prefix: '/etc/shadow', star: false, mid: '', rest: '', dir: false });
    assert.deepEqual(parsePattern('/home/*/.ssh/'), { text: '/home/*/.ssh/', prefix: '/home/', star: true, mid: '', rest: '/.ssh/', dir: true });
    assert.deepEqual(parsePattern('/etc/ssh/ssh_host_*_key'), { text: '/etc/ssh/ssh_host_*_key', prefix: '/etc/ssh/ssh_host_', star: true, mid: '_key', rest: '', dir: false });
    for (const bad of ['etc/shadow', '/a/*/*/b', '/proc/*', '/x//y', '/a"b', '*/x', '/a\\b']) assert.throws(() => parsePattern(bad), /sensitive path/, bad);
    assert.doesNotThrow(() => parsePatterns(DEFAULT_SENSITIVE_PATHS));
  });

  it('matches exactly: a * is one or more characters of one segment', () => {
    const cases: [string, string, boolean][] = [
      ['/etc/shadow', '/etc/shadow', true],
      ['/etc/shadow', '/etc/shadow-', false],
      ['/etc/shadow', '/etc/shadowx/y', false],
      ['/root/.ssh/', '/root/.ssh/id_rsa', true],
      ['/root/.ssh/', '/root/.ssh', false],
      ['/home/*/.ssh/', '/home/alice/.ssh/id_ed25519', true],
      ['/home/*/.ssh/', '/home/alice/x/.ssh/id', false],
      ['/home/*/.ssh/', '/home//.ssh/id', false],
      ['/proc/*/environ', '/proc/1/environ', true],
      ['/proc/*/environ', '/proc/self/environ', true],
      ['/proc/*/environ', '/proc/1/task/1/environ', false],
      ['/proc/*/environ', '/proc/1/environment', false],
      ['/etc/ssh/ssh_host_*_key', '/etc/ssh/ssh_host_rsa_key', true],
      ['/etc/ssh/ssh_host_*_key', '/etc/ssh/ssh_host_rsa_key.pub', false],
      ['/etc/ssh/ssh_host_*_key', '/etc/ssh/ssh_host__key', false],
    ];
    for (const [p, path, want] of cases) assert.equal(matches(parsePattern(p), path), want, `${p} ~ ${path}`);
  });

  it('compiles to word compares grouped by the first eight bytes, relative forms without the leading /', () => {
    const ps = parsePatterns(['/etc/shadow', '/etc/shadow-', '/proc/*/environ']);
    const abs = matcherCode(ps, { addr: '$a', w0: '$w0', hit: '$hit', relative: false });
    // "/etc/sha" little-endian, shared by both /etc/shadow patterns: one test for the group
    assert.equal(abs.split('0x6168732f6374652f').length - 1, 1);
    assert.match(abs, /\$sp_e/, 'the * scans for the end of its segment');
    assert.doesNotMatch(abs, /str\(|strncmp/, 'no string copies: a BPF stack is 512 bytes');
    const rel = matcherCode(ps, { addr: '$a', w0: '$w0', hit: '$hit', relative: true });
    assert.ok(rel.includes('0x646168732f637465'), '"etc/shad" for a path relative to a root cwd');
    assert.equal(matcherCode([], { addr: '$a', w0: '$w0', hit: '$hit', relative: false }).trim(), '$hit = 0;');
  });

  it('is compiled into the program; an empty list leaves reads out entirely', () => {
    const full = buildProgram({ intervalS: 5, hasTracepoint: () => true });
    assert.ok(!/__[A-Z_]+__/.test(full.text), 'every macro expanded');
    assert.match(full.text, /\| \(2 << 32\);/);
    const none = buildProgram({ intervalS: 5, hasTracepoint: () => true, sensitivePaths: [] });
    assert.doesNotMatch(none.text, /\| \([234] << 32\);/);
    assert.match(none.text, /\| \(1 << 32\);/, 'writes are still reported');
  });

  it('a bad pattern in the config is an error at load time', () => {
    assert.throws(
      () => buildConfig({ sources: { bpftrace: { sensitivePaths: ['/a/*/*/b'] } } }),
      (e: unknown) => e instanceof ConfigError && /sources\.bpftrace\.sensitivePaths: .*at most one \*/.test(e.message),
    );
    assert.doesNotThrow(() => buildConfig({ sources: { bpftrace: { sensitivePaths: ['/srv/keys/', '/home/*/.pgpass'] } } }));
  });
});
