// Random and mutated audit lines: the decoder must never throw, and every line it
// cannot use is either counted as bad (by a fixed reason token) or skipped as a
// record type we do not need.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../../support/env.ts';
import { AuditDecoder } from '../../../../collector/sources/auditd/decoder.ts';
import { MemoryStats } from '../../../../collector/stats.ts';

// deterministic PRNG so a failure can be reproduced
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS = new Set(['no_type', 'no_msg', 'bad_stamp', 'bad_syscall', 'orphan_record', 'line_too_long']);
const seedLines = readFileSync(join(REPO, 'test/fixtures/auditd/recorded-enriched.log'), 'utf8').split('\n').filter(Boolean);

function mutate(line: string, r: () => number): string {
  const ops = 1 + Math.floor(r() * 4);
  let s = line;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: // delete a span
        s = s.slice(0, at) + s.slice(at + Math.floor(r() * 20));
        break;
      case 1: // insert random bytes (incl. quotes, =, NUL, GS, high chars)
        s = s.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 0x2ff))) + s.slice(at);
        break;
      case 2: // truncate
        s = s.slice(0, at);
        break;
      case 3: // duplicate a span
        s = s.slice(0, at) + s.slice(Math.max(0, at - 30), at) + s.slice(at);
        break;
      case 4: // swap in digits / hex
        s = s.slice(0, at) + (r() < 0.5 ? '99999999999999999999' : 'DEADBEEF') + s.slice(at);
        break;
      case 5: // break quotes
        s = s.replace('"', '');
        break;
      case 6: // splice with another line
        s = s.slice(0, at) + seedLines[Math.floor(r() * seedLines.length)].slice(at);
        break;
    }
  }
  return s;
}

describe('auditd decoder fuzzing', () => {
  it('survives 20000 mutated real lines; bad input counted by known reasons', () => {
    const r = rng(1234);
    const stats = new MemoryStats();
    const dec = new AuditDecoder({ node: 'n', stats, grouper: { timeoutMs: 1000, serialWindow: 64, maxInFlight: 256 } });
    for (let i = 0; i < 20000; i++) {
      const base = seedLines[Math.floor(r() * seedLines.length)];
      dec.push(r() < 0.2 ? base : mutate(base, r), i);
      if (i % 500 === 0) dec.flushStale(i);
      for (const e of dec.take()) {
        assert.equal(typeof e.process.pid, 'number');
        assert.ok(Array.isArray(e.process.args));
        assert.equal(typeof e.time, 'number');
      }
    }
    dec.flushAll();
    dec.take();
    const bad = stats.snap.bad.auditd ?? {};
    for (const reason of Object.keys(bad)) assert.ok(REASONS.has(reason), `unexpected reason ${reason}`);
    assert.ok(stats.totalBad() > 100, 'mutations produced bad records');
    assert.ok((stats.snap.received.auditd ?? 0) > 1000, 'unmutated lines still decode');
  });

  it('survives random garbage lines', () => {
    const r = rng(99);
    const stats = new MemoryStats();
    const dec = new AuditDecoder({ node: 'n', stats });
    const alphabet = 'type=SYSCALLmsg=audit(0123456789.:)EXECVEa0a1[]_len="\' \x1dnode=PATHnametype=CREATEsaddr=0200ABCDEF(null)';
    for (let i = 0; i < 20000; i++) {
      const n = Math.floor(r() * 200);
      let s = r() < 0.5 ? 'type=' : '';
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(r() * alphabet.length)];
      dec.push(s);
    }
    dec.flushAll();
    dec.take();
    for (const reason of Object.keys(stats.snap.bad.auditd ?? {})) assert.ok(REASONS.has(reason), reason);
  });
});
