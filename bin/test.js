#!/usr/bin/env node
// `npm test`: unit tests, then the real-component end-to-end suite, in one mocha run.
// Under CI=true, tests that cannot get their real component fail instead of skipping.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const args = process.argv.slice(2);
const specs = args.length > 0 ? args : ['test/**/*.test.ts'];
const r = spawnSync(process.execPath, [mocha, ...specs], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
