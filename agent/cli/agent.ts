// `habitwatch agent [--config FILE]`: run until SIGTERM/SIGINT, then stop cleanly.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.ts';
import { startAgent } from '../agent.ts';
import { createLogger } from '../../collector/logger.ts';

/**
 * A stop that has not finished by then is cut short: Kubernetes sends SIGKILL after the
 * pod's grace period (30 s by default), and exiting on our own first says why. Nothing
 * is lost either way: what was not committed is read again on the next start.
 */
export const STOP_DEADLINE_MS = 20_000;

const HELP = `usage: habitwatch agent [--config FILE]
  Without --config: standalone mode, data in ./.habitwatch, API on 127.0.0.1:7420,
  the best live source available (bpftrace, then auditd, then procfs).`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const config = loadConfigFile(values.config);
  // every file and directory the agent creates is private (the database is also created
  // 0600 explicitly, agent/store/datadir.ts): it may hold command lines and alerts
  process.umask(0o077);
  const log = createLogger({ level: config.log.level, base: { node: config.node } });
  const agent = await startAgent(config, { log });
  let signals = 0;
  const onSignal = (sig: string): void => {
    signals++;
    if (signals > 1) process.exit(130); // second signal: the operator means it
    log.info('stopping', { signal: sig });
    setTimeout(() => {
      log.error('stop did not finish in time; exiting (uncommitted input is read again on start)', { deadlineMs: STOP_DEADLINE_MS });
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    void agent.stop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  await agent.done;
  await agent.stop();
  return 0;
}
