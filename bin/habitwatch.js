#!/usr/bin/env node
// The habitwatch CLI: runs the compiled JavaScript in dist/ (`npm run build`; `npm ci`
// builds it through the prepare script, a published package ships it).
// The long-running agent maps stack traces to the TypeScript sources (dist/ ships its
// .map files); the short commands skip reading the maps (~10% of their start-up) —
// NODE_OPTIONS=--enable-source-maps turns them on there too.
if (process.argv[2] === 'agent') process.setSourceMapsEnabled(true);
let main;
try {
  main = await import('../dist/agent/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('/dist/agent/cli/main.js')) throw e;
  process.stderr.write('habitwatch: dist/ is missing: run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await main.run(process.argv.slice(2));
