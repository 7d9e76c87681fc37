// The `procfs` source: works without eBPF or audit by polling /proc. It sees new
// processes (exec), listeners and connections (via /proc/net/{tcp,udp}{,6} and the
// socket inodes in /proc/PID/fd), each with cgroup path, exe, argv, ppid, uid and cwd.
// It is LOSSY: processes shorter than the poll interval are missed (counted as an
// upper bound in dropped{reason=exec_missed_upper_bound}), and file writes are not
// visible at all. Live only: there is nothing to replay.
import { access, constants } from 'node:fs/promises';
import { defineSource, type EventBatches, type SourceContext } from '../types.ts';
import { sleep } from '../../sleep.ts';
import { configSchema, defaults, type ProcfsConfig } from './config.ts';
import { newCounters, ProcfsScanner, SOURCE, type ScannerCounters } from './scanner.ts';

/**
 * Poll counters of the live procfs source, exported through its definition's
 * `counters` (habitwatch_procfs_polls_total, …): it is lossy, and says how much. Misses
 * are also counted as stats.dropped('procfs', 'exec_missed_upper_bound').
 */
export const procfsCounters: ScannerCounters = newCounters();

async function* live(config: ProcfsConfig, ctx: SourceContext): EventBatches {
  const scanner = new ProcfsScanner({ ...config, node: ctx.node, stats: ctx.stats, counters: procfsCounters });
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    ctx.log.warn('procfs source not running as root: other users\' processes and sockets are invisible');
  }
  while (!ctx.signal.aborted) {
    const t0 = Date.now();
    const events = scanner.poll(ctx.now());
    if (events.length > 0) {
      ctx.stats.received(SOURCE, events.length);
      yield events;
    }
    await sleep(Math.max(0, config.intervalMs - (Date.now() - t0)), ctx.signal);
  }
}

export default defineSource<ProcfsConfig>({
  name: SOURCE,
  description: 'polls /proc for processes, listeners and connections (no eBPF/audit needed; lossy)',
  parseErrors: ['procnet_short_row', 'procnet_bad_slot', 'procnet_bad_address', 'procnet_bad_state', 'procnet_bad_number'],
  configSchema,
  defaults,
  async available(config) {
    try {
      await access(`${config.procRoot}/net/tcp`, constants.R_OK);
      return true;
    } catch {
      return `${config.procRoot}/net/tcp is not readable`;
    }
  },
  live,
  autoRank: 3,
  observesHost: true,
  counters: [
    { name: 'habitwatch_procfs_polls_total', help: 'Polls of /proc by the procfs source', value: () => procfsCounters.polls },
    { name: 'habitwatch_procfs_new_processes_total', help: 'New processes the procfs source saw', value: () => procfsCounters.newProcesses },
    {
      name: 'habitwatch_procfs_missed_processes_total',
      help: 'Upper bound of processes that lived and died between two polls (forks minus seen)',
      value: () => procfsCounters.missedUpperBound,
    },
    { name: 'habitwatch_procfs_poll_seconds_total', help: 'Time spent polling /proc', value: () => procfsCounters.pollSeconds },
  ],
});
