// The kubectl plugin run from the TypeScript sources through tsx (what tests put on
// PATH as kubectl-habitwatch); the compiled bin/kubectl-habitwatch.js does the same
// from dist/.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../../agent/cli/main.ts');
await run(process.argv.slice(2), { plugin: true });
