// CLI entry point. The only module that exits the process.
import { ConfigError } from '../config/errors.ts';
import { UsageError } from './errors.ts';

const HELP = `habitwatch — learns what each workload normally does, alerts on what it doesn't

usage: habitwatch <command> [options]
  agent    [--config FILE]                      run the agent (standalone without Kubernetes)
  replay   --source NAME FILE… [--learn-events N | --learn-until TIME] [--json]
  baseline list|show|diff|approve|relearn|lock|unlock|export …   query and edit baselines
  alerts   [--follow] [--since TIME] [--severity S] [--workload ID]
  incidents [show ID] [--since TIME] [--severity S] [--workload ID]   alerts grouped by attack
  help     this text
Run "habitwatch <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'agent':
      return (await import('./agent.ts')).agentCommand(rest);
    case 'replay':
      return (await import('./replay.ts')).replayCommand(rest, process.stdout, process.stderr);
    case 'baseline':
      return (await import('./baseline.ts')).baselineCommand(rest, process.stdout);
    case 'alerts':
      return (await import('./alerts.ts')).alertsCommand(rest, process.stdout);
    case 'incidents':
      return (await import('./incidents.ts')).incidentsCommand(rest, process.stdout);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${cmd}"\n${HELP}`);
  }
}

export async function run(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    process.exitCode = code;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      process.stderr.write(`habitwatch: ${e.message}\n`);
      process.exitCode = 2;
    } else if ((e as NodeJS.ErrnoException)?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as NodeJS.ErrnoException)?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`habitwatch: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`habitwatch: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
