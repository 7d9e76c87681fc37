// The CLI run from the TypeScript sources through tsx — what tests spawn as
// `habitwatch` (CLI in test/support/env.ts), so a test never runs a stale dist/.
// The compiled bin/habitwatch.js is covered by test/dist.test.ts and `npm run test:pack`.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../../agent/cli/main.ts');
await run(process.argv.slice(2));
