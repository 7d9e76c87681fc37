// npm run bench [name…] — runs every bench/*.bench.ts (or those named), prints each
// figure with its budget, and ends with ONE JSON line of all figures for scripts.
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchContext } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();

const tty = process.stderr.isTTY;
const figures: Record<string, number> = {};
const failures: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'habitwatch-bench-'));
try {
  for (const f of files) {
    const bench = (await import(pathToFileURL(join(here, f)).href)).default as Bench;
    const ctx: BenchContext = {
      tmp,
      quick: process.env.BENCH_QUICK === '1',
      progress(msg) {
        if (tty) process.stderr.write(`\r\x1b[K[${bench.name}] ${msg}`);
        else process.stderr.write(`[${bench.name}] ${msg}\n`);
      },
    };
    ctx.progress('starting');
    const out = await bench.run(ctx);
    if (tty) process.stderr.write('\r\x1b[K');
    for (const [k, v] of Object.entries(out)) {
      figures[k] = v;
      const budget = bench.budgets?.[k];
      let verdict = '';
      if (budget) {
        const ok = budget[0] === '>=' ? v >= budget[1] : v <= budget[1];
        verdict = `  budget ${budget[0]} ${budget[1]}: ${ok ? 'ok' : 'MISSED'}`;
        if (!ok) failures.push(`${k}=${v} (${budget[0]} ${budget[1]})`);
      }
      console.log(`${bench.name.padEnd(12)} ${k.padEnd(36)} ${fmt(v)}${verdict}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failures.length > 0) console.log(`budgets missed: ${failures.join(', ')}`);
console.log(JSON.stringify(figures));

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3);
}
