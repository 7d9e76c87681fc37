import assert from 'node:assert/strict';
import { parseTime } from '../../../../collector/sources/tetragon/time.ts';

describe('parseTime (RFC 3339 with ns, digit by digit, day cache)', () => {
  it('agrees with Date.parse on fixed and malformed inputs', () => {
    const cases = [
      '2024-04-14T02:18:14.376304204Z', '2024-04-14T02:18:14Z', '2024-04-14T02:18:59.3Z', '2024-04-14T02:19:00.999999999Z',
      '2024-04-14T02:18:14.376+02:00', '2024-04-14T02:18:14.Z', 'nope', '2024-04-14T02:18:14.37a6Z', '2024-04-14T02:18:61Z',
      '2024-13-14T02:18:14Z', '2024-04-14T25:18:14Z', '', '2024-04-14T02:18:14.376304204z',
    ];
    for (const c of cases) {
      const a = parseTime(c);
      const b = Date.parse(c);
      assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `${c}: ${a} vs ${b}`);
    }
  });
  it('agrees with Date.parse across minute, hour, day and year boundaries', () => {
    let s = 12345;
    const r = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    let t = Date.parse('2023-12-31T23:58:00Z');
    for (let i = 0; i < 20000; i++) {
      t += Math.floor(r() * 5000);
      const iso = new Date(t).toISOString();
      const withNs = iso.replace('Z', `${Math.floor(r() * 1e6).toString().padStart(6, '0')}Z`);
      assert.equal(parseTime(withNs), t, withNs);
      assert.equal(parseTime(iso.replace(/\.\d+Z$/, 'Z')), Math.floor(t / 1000) * 1000);
    }
  });
  it('agrees with Date.parse at the edges of every field', () => {
    const cases = [
      '2024-04-14T24:00:00Z', '2024-04-14T24:00:00.000Z', '2024-04-14T24:00:01Z', '2024-04-14T23:59:60Z', '2024-04-14T23:60:00Z',
      '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', '2024-02-29T12:00:00Z', '2023-02-29T12:00:00Z', '2024-02-30T00:00:00Z',
      '2024-04-31T00:00:00Z', '2024-00-10T00:00:00Z', '2024-01-00T00:00:00Z', '2024-01-32T00:00:00Z', '2024-13-01T00:00:00Z',
      // fractions of 1 to 12 digits: past nine V8 keeps the first three significant digits
      '2024-04-14T02:18:14.5Z', '2024-04-14T02:18:14.05Z', '2024-04-14T02:18:14.005Z', '2024-04-14T02:18:14.000000001Z',
      '2024-04-14T02:18:14.0123456789Z', '2024-04-14T02:18:14.000000000001Z', '2024-04-14T02:18:14.9999999999Z',
      // other forms Date.parse reads (or not)
      '2024-04-14T02:18:14+00:00', '2024-04-14T02:18:14.123-05:30', '2024-04-14 02:18:14Z', '2024-04-14T02:18Z', '+002024-04-14T02:18:14Z',
      '2024-04-14T02:18:14. Z', '2024-04-14T02:18:1aZ', '2024-04-14T02:1:14Z', '２024-04-14T02:18:14Z', '2024-04-14T02:18:14.1e3Z',
    ];
    for (const c of cases) {
      const a = parseTime(c);
      const b = Date.parse(c);
      assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `${c}: ${a} vs ${b}`);
    }
  });
  it('agrees with Date.parse on random and mutated timestamps (day cache hits and misses)', () => {
    let seed = 99;
    const r = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const chars = '0123456789-:T.Zz +x';
    const check = (x: string) => {
      const a = parseTime(x);
      const b = Date.parse(x);
      assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `${x}: ${a} vs ${b}`);
    };
    let t = Date.parse('1969-12-31T23:00:00Z');
    for (let i = 0; i < 30000; i++) {
      // mostly small steps (the same day, as in a stream), sometimes a jump of years
      t += r() < 0.02 ? Math.floor((r() - 0.3) * 4e11) : Math.floor(r() * 4e6);
      const digits = Math.floor(r() * 13);
      const frac = digits === 0 ? '' : '.' + Array.from({ length: digits }, () => Math.floor(r() * 10)).join('');
      const iso = new Date(t).toISOString().replace(/\.\d+Z$/, `${frac}Z`);
      check(iso);
      const k = Math.floor(r() * iso.length);
      check(iso.slice(0, k) + chars[Math.floor(r() * chars.length)] + iso.slice(k + 1));
      check(iso.slice(0, k) + iso.slice(k + 1));
    }
  });
});
