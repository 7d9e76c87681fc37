#!/usr/bin/env node
// `npm run build [-- --out DIR]`: compiles the runtime sources (agent/, collector/,
// models/) to DIR (default dist/) with tsconfig.build.json — JavaScript with source
// maps and declarations — and copies the non-TypeScript files the modules read at run
// time next to them. DIR is emptied first, so no module removed from the sources
// survives in it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** files read at run time relative to their module (import.meta.url) */
export const ASSETS = ['collector/sources/bpftrace/habitwatch.bt'];
/** C helpers: source → program, under DIR (bin/build.js compiles them with `cc`) */
export const NATIVE = [['collector/sources/bpftrace/pipe-size.c', 'collector/sources/bpftrace/pipe-size']];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(root, values.out ?? 'dist');

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const f of ASSETS) {
  mkdirSync(dirname(join(out, f)), { recursive: true });
  copyFileSync(join(root, f), join(out, f));
}
// native helpers, built beside their module when a C compiler is there (each module
// works without its helper: see the .c file's header)
for (const [src, exe] of NATIVE) {
  const c = spawnSync('cc', ['-O2', '-Wall', '-o', join(out, exe), join(root, src)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (c.error || c.status !== 0) console.error(`build: ${exe} not built (no C compiler?); the agent works without it, at more CPU (see ${src})`);
}
