// CLI start-up: the compiled CLI (a scratch `npm run build`, test/support/dist.ts) against
// a bare `node -e 0`, measured side by side: each round runs the four commands once, in
// rotating order, and the figure is the slowest help command's median wall time over
// node's median.
//   cli_start_vs_node_ratio   max(median(habitwatch --help), median(replay --help),
//                             median(baseline list --help)) ÷ median(node -e 0)
//   cli_start_ms              that slowest median, ms (for the notes; no budget)
import { spawnSync } from 'node:child_process';
import { defineBench, median } from './harness.ts';
import { buildCompiledTree } from '../test/support/dist.ts';

export default defineBench({
  name: 'cli',
  async run(ctx) {
    ctx.progress('building dist/ into a scratch tree');
    const tree = await buildCompiledTree('habitwatch-bench-dist-');
    try {
      const commands: Record<string, string[]> = {
        node: ['-e', '0'],
        help: [tree.bin, '--help'],
        replay: [tree.bin, 'replay', '--help'],
        baseline: [tree.bin, 'baseline', 'list', '--help'],
      };
      const names = Object.keys(commands);
      const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      const rounds = ctx.quick ? 7 : 21;
      for (let r = 0; r < rounds + 1; r++) {
        for (let i = 0; i < names.length; i++) {
          const n = names[(r + i) % names.length];
          const t0 = process.hrtime.bigint();
          const res = spawnSync(process.execPath, commands[n], { stdio: ['ignore', 'ignore', 'pipe'] });
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.status !== 0) throw new Error(`${n}: exit ${res.status}: ${res.stderr}`);
          if (r > 0) times[n].push(ms); // round 0 warms the page cache
        }
        ctx.progress(`round ${r}/${rounds}`);
      }
      const med = Object.fromEntries(names.map((n) => [n, median(times[n])]));
      const slowest = Math.max(med.help, med.replay, med.baseline);
      ctx.progress(`medians ms: ${names.map((n) => `${n} ${med[n].toFixed(0)}`).join(', ')}`);
      return { cli_start_vs_node_ratio: slowest / med.node, cli_start_ms: slowest };
    } finally {
      tree.cleanup();
    }
  },
  budgets: { cli_start_vs_node_ratio: ['<=', 2] },
});
