import assert from 'node:assert/strict';
import { parseTime } from '../../../../collector/sources/tetragon/time.ts';

describe('parseTime (RFC 3339 with ns, minute cache)', () => {
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
});
