// The alert storm (issue 12) through the real agent — the compiled CLI, run with the
// base DaemonSet's NODE_OPTIONS — reading a followed events file in which W workloads
// each raise 4 distinct alerts and repeat them 6 times (test/support/alert-storm.ts):
//   storm_alerts_per_s        distinct alerts committed per second of the whole run
//   storm_event_loop_p99_ms   the agent's event-loop delay p99 over the storm (budget 50)
//   storm_readyz_p99_ms       /readyz latency p99, polled every 100 ms (budget 1000)
//   storm_peak_rss_mib        the agent's peak RSS (budget: the DaemonSet's limit)
//   storm_restart_ready_s     started again on the storm's database: until /readyz 200
// Full: 100,000 workloads (1,000,000 events, 400,000 alerts); BENCH_QUICK: 10,000.
import { join } from 'node:path';
import { defineBench } from './harness.ts';
import { builtCli } from './agent-proc.ts';
import { runAlertStorm } from '../test/support/alert-storm.ts';
import { baseDaemonSet } from '../test/support/daemonset.ts';

const ds = baseDaemonSet();

export default defineBench({
  name: 'alert-storm',
  budgets: {
    storm_event_loop_p99_ms: ['<=', 50],
    storm_readyz_p99_ms: ['<=', 1000],
    storm_peak_rss_mib: ['<=', ds.memoryMiB],
    storm_restart_ready_s: ['<=', 10],
  },
  async run(ctx) {
    const r = await runAlertStorm({
      dir: join(ctx.tmp, 'alert-storm'),
      workloads: ctx.quick ? 10_000 : 100_000,
      repeats: 6,
      agent: [builtCli()],
      env: { NODE_OPTIONS: ds.nodeOptions },
      progress: ctx.progress,
    });
    if (r.storedPairs !== r.expectedAlerts) throw new Error(`storm: ${r.storedPairs} of ${r.expectedAlerts} alerts stored`);
    return {
      storm_alerts_per_s: r.alertsPerS,
      storm_event_loop_p99_ms: r.eventLoopP99Ms,
      storm_readyz_p99_ms: r.readyzP99Ms,
      storm_peak_rss_mib: r.peakRssMiB,
      storm_restart_ready_s: r.restartReadyS,
    };
  },
});
