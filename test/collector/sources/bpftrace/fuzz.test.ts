// Random and mutated bpftrace output: the parser must never throw, and every bad
// record is counted under a short fixed reason token.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpftraceParser } from '../../../../collector/sources/bpftrace/parse.ts';
import { MemoryStats } from '../../../../collector/stats.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { REPO } from '../../../support/env.ts';

// small deterministic PRNG so a failure can be replayed
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

const ALPHABET = ['\t', '\\', '"', '{', '}', 'x', '0', '9', '-', ':', ',', '\\x', '\n', 'é', '\u0000', ' ', 'A', 'X', 'W', 'N', 'L', 'C', 'T', 'R'];

function mutate(line: string, r: () => number): string {
  const ops = Math.floor(r() * 4) + 1;
  let s = line;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 5)) {
      case 0: // delete a span
        s = s.slice(0, at) + s.slice(at + Math.floor(r() * 8) + 1);
        break;
      case 1: // insert noise
        s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(at);
        break;
      case 2: // truncate
        s = s.slice(0, at);
        break;
      case 3: // duplicate a span
        s = s.slice(0, at) + s.slice(Math.max(0, at - 10), at) + s.slice(at);
        break;
      default: // swap a digit for a huge number
        s = s.replace(/\d+/, '99999999999999999999999');
    }
  }
  return s;
}

describe('bpftrace parser fuzz', () => {
  const lines = readFileSync(join(REPO, 'test', 'fixtures', 'bpftrace', 'workload.ndjson'), 'utf8').split('\n').filter(Boolean);

  it('survives mutated real records and random lines, counting bad ones by reason', () => {
    const r = rng(1234);
    const stats = new MemoryStats();
    const p = new BpftraceParser({ node: 'n', stats, toEpochMs: (ns) => ns / 1e6 });
    const out: RuntimeEvent[] = [];
    let fed = 0;
    for (let round = 0; round < 20; round++) {
      for (const l of lines) {
        const roll = r();
        const line = roll < 0.5 ? mutate(l, r) : roll < 0.6 ? Array.from({ length: Math.floor(r() * 80) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('') : l;
        p.line(line, out);
        fed++;
      }
    }
    p.flush(out);
    assert.ok(fed > 3000);
    const reasons = Object.keys(stats.snap.bad.bpftrace ?? {});
    assert.ok(reasons.length >= 3, `reasons: ${reasons.join(',')}`);
    for (const reason of reasons) assert.match(reason, /^[a-z_]+$/);
    assert.ok(stats.totalBad() > 100);
    // what did come out is well-formed
    for (const ev of out) {
      assert.equal(typeof ev.time, 'number');
      assert.ok(Number.isInteger(ev.process.pid) && ev.process.pid >= 0);
      assert.ok(Array.isArray(ev.process.args));
      if (ev.kind === 'listen') assert.ok(ev.port >= 0 && ev.port <= 65535);
      if (ev.kind === 'connect') assert.ok(ev.dstPort >= 0 && ev.dstPort <= 65535);
      if (ev.kind === 'file_write') assert.ok(ev.path.length > 0);
      if (ev.kind === 'syscall') assert.ok(ev.names.length > 0);
    }
  });

  it('survives printf records with random field values', () => {
    const r = rng(99);
    const stats = new MemoryStats();
    const p = new BpftraceParser({ node: 'n', stats, toEpochMs: (ns) => ns / 1e6 });
    const out: RuntimeEvent[] = [];
    const kinds = ['A', 'X', 'E', 'W', 'N', 'L', 'C', 'T', 'R', 'Z', ''];
    const vals = ['', '0', '-1', '-100', '65536', '18446744073709551615', 'tcp', 'udp', '2', '10', '/p', 'a\\x00b', '\\xzz', 'NaN'];
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(r() * 14);
      const f = [kinds[Math.floor(r() * kinds.length)]];
      for (let j = 0; j < n; j++) f.push(vals[Math.floor(r() * vals.length)]);
      p.line(JSON.stringify({ type: 'printf', data: f.join('\t') + '\n' }), out);
    }
    p.flush(out);
    assert.ok(stats.totalBad() > 1000);
  });
});
