// /proc/net parsers against the shared captures (v4 and v6 byte order), plus fuzzing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIPv6, hexToBytes, parseEndpoint, parseNetLine, unmapV4, type NetRow } from '../../../../collector/sources/procfs/procnet.ts';
import { SHARED_FIXTURES, requireSharedFixtures } from '../../../support/env.ts';

const DIR = join(SHARED_FIXTURES, 'procnet');
function rows(file: string, le = true): NetRow[] {
  const out: NetRow[] = [];
  for (const l of readFileSync(join(DIR, file), 'utf8').split('\n')) {
    const r = parseNetLine(l, le);
    if (r.ok === 'skip') continue;
    assert.ok(r.ok === true, `${file}: ${l}`);
    out.push(r.row);
  }
  return out;
}

describe('procnet parser: shared captures', () => {
  beforeEach(function () {
    requireSharedFixtures(this);
  });

  it('otterize tcp: established pod connections', () => {
    const r = rows('otterize-network-mapper/proc_net_tcp');
    assert.equal(r.length, 3);
    assert.deepEqual(r[0], {
      local: { addr: '192.168.38.211', port: 60558 },
      remote: { addr: '10.100.179.126', port: 7070 },
      state: 1,
      uid: 0,
      inode: 2688924237,
    });
    assert.deepEqual(r.map((x) => `${x.remote.addr}:${x.remote.port}`), ['10.100.179.126:7070', '10.100.184.14:50051', '10.100.203.32:9555']);
  });

  it('otterize tcp6: listener on ::, v4-mapped TIME_WAIT rows with inode 0', () => {
    const r = rows('otterize-network-mapper/proc_net_tcp6');
    assert.deepEqual([r[0].local, r[0].state, r[0].inode], [{ addr: '::', port: 8080 }, 0x0a, 2448849674]);
    assert.deepEqual([r[1].local.addr, r[1].remote, r[1].state, r[1].inode], ['::ffff:192.168.38.211', { addr: '::ffff:192.168.35.14', port: 51720 }, 6, 0]);
    assert.equal(unmapV4(r[1].remote.addr), '192.168.35.14');
  });

  it('prometheus tcp: listeners; tcp6 with the udp6 column layout still parses', () => {
    const t = rows('prometheus-procfs/proc_net_tcp');
    assert.deepEqual(t.map((x) => `${x.local.addr}:${x.local.port}/${x.state}`), ['10.0.0.5:22/10', '0.0.0.0:22/10', '0.0.0.0:22/10']);
    const t6 = rows('prometheus-procfs/proc_net_tcp6');
    assert.deepEqual(t6[1].local, { addr: 'fe80::56e1:adff:fe7c:6609', port: 51073 });
    assert.deepEqual([t6[0].state, t6[0].uid, t6[0].inode], [7, 981, 21040]);
  });

  it('big-endian hosts print the words unswapped', () => {
    assert.deepEqual(parseEndpoint('7F000001:0050', false), { addr: '127.0.0.1', port: 80 });
    assert.deepEqual(parseEndpoint('00000000000000000000000000000001:0035', false), { addr: '::1', port: 53 });
  });
});

describe('procnet parser: addresses', () => {
  it('byte order within 32-bit words (little endian)', () => {
    assert.deepEqual(parseEndpoint('0100007F:1F90', true), { addr: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEndpoint('0000000000000000FFFF00000100007F:0016', true), { addr: '::ffff:127.0.0.1', port: 22 });
    assert.deepEqual(parseEndpoint('00000000000000000000000001000000:0016', true), { addr: '::1', port: 22 });
    assert.deepEqual(parseEndpoint('B80D0120000000000000000001000000:0001', true), { addr: '2001:db8::1', port: 1 });
  });
  it('RFC 5952 compression: longest zero run, single zero group not compressed', () => {
    const b = (hex: string) => hexToBytes(hex, false)!;
    assert.equal(formatIPv6(b('20010db8000000010000000000000001')), '2001:db8:0:1::1');
    assert.equal(formatIPv6(b('20010db8000100000001000100010001')), '2001:db8:1:0:1:1:1:1');
    assert.equal(formatIPv6(b('00000000000000000000000000000000')), '::');
    assert.equal(formatIPv6(b('fe800000000000000000000000000000')), 'fe80::');
  });
  it('malformed rows carry a reason', () => {
    assert.deepEqual(parseNetLine('   0: 0100007F:1F90 00000000:0000 0A'), { ok: false, reason: 'short_row' });
    assert.deepEqual(parseNetLine('   0: 0100007G:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1'), { ok: false, reason: 'bad_address' });
    assert.deepEqual(parseNetLine('   0: 0100007F:1F9 00000000:0000 0A 0:0 0:0 0 0 0 1'), { ok: false, reason: 'bad_address' });
    assert.deepEqual(parseNetLine('   x 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1'), { ok: false, reason: 'bad_slot' });
    assert.deepEqual(parseNetLine('   0: 0100007F:1F90 00000000:0000 ZZ 0:0 0:0 0 0 0 1'), { ok: false, reason: 'bad_state' });
    assert.deepEqual(parseNetLine('   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 x 0 1'), { ok: false, reason: 'bad_number' });
  });
});

describe('procnet parser: fuzz', () => {
  const REASONS = new Set(['short_row', 'bad_slot', 'bad_address', 'bad_state', 'bad_number']);
  let s = 7;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const base = [
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
    '   1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000E23A8C0:CA08 01 00000000:00000000 03:00000A41 00000000  1000        0 777 3',
  ];
  const CHARS = '0123456789ABCDEFxZ: \t-';
  function mutateLine(l: string): string {
    const a = l.split('');
    for (let i = Math.floor(r() * 4); i >= 0; i--) {
      const at = Math.floor(r() * (a.length + 1));
      const op = r();
      if (op < 0.33) a.splice(at, 1);
      else if (op < 0.66) a.splice(at, 0, CHARS[Math.floor(r() * CHARS.length)]);
      else a[at] = CHARS[Math.floor(r() * CHARS.length)];
    }
    return a.join('');
  }
  it('random and mutated lines never throw; failures have known reasons; rows are sane', () => {
    for (let i = 0; i < 20000; i++) {
      const line =
        i % 3 === 0
          ? Array.from({ length: Math.floor(r() * 80) }, () => CHARS[Math.floor(r() * CHARS.length)]).join('')
          : mutateLine(base[i % 2]);
      const out = parseNetLine(line);
      if (out.ok === false) assert.ok(REASONS.has(out.reason), out.reason);
      else if (out.ok === true) {
        assert.ok(out.row.local.port >= 0 && out.row.local.port <= 0xffff);
        assert.ok(out.row.state >= 0 && out.row.state <= 0xff);
        assert.ok(Number.isFinite(out.row.inode));
      }
    }
  });
});
