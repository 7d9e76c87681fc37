#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step for users.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../agent/cli/main.ts');
await run(process.argv.slice(2));
