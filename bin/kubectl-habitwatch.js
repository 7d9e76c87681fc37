#!/usr/bin/env node
// The kubectl plugin: kubectl runs `kubectl-habitwatch` from PATH for `kubectl habitwatch …`.
// The same commands as `habitwatch`, reaching the agent through the kubeconfig: the
// node's agent pod via the API server's pod proxy (agent/cli/kube.ts). --api URL still
// talks to an agent directly (e.g. through `kubectl port-forward`).
let main;
try {
  main = await import('../dist/agent/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('/dist/agent/cli/main.js')) throw e;
  process.stderr.write('kubectl habitwatch: dist/ is missing: run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await main.run(process.argv.slice(2), { plugin: true });
