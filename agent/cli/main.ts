// CLI entry point. The only module that exits the process. Every failure is one line
// on stderr and an exit code from errors.ts (EXIT) — never a stack trace, unless
// HABITWATCH_DEBUG is set.
import { ConfigError } from '../config/errors.ts';
import { EXIT, UsageError } from './errors.ts';
import { mode } from './mode.ts';

const HELP = `habitwatch — learns what each workload normally does, alerts on what it doesn't

usage: habitwatch <command> [options]
  agent     [--config FILE]                      run the agent (standalone without Kubernetes)
  replay    --source NAME FILE… [--learn-events N | --learn-until TIME] [--json]
  baseline  list|show|diff|approve|forbid|unforbid|remove|relearn|lock|unlock|export|import|
            seccomp|networkpolicy|writable-paths …   query, change and enforce baselines
  alerts    [list|show|ack|resolve|reopen|approve] [--follow] [--since TIME] [--severity S] …
  incidents [list|show] [--follow] …               alerts grouped by attack
  audit     [--since TIME] [--actor A] …         who changed what, when, from where
  completion bash|zsh|fish                       shell completion (source <(habitwatch completion bash))
  help      this text
Run "habitwatch <command> --help" for a command's options. Exit codes: docs/cli.md.`;

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
    case 'audit':
      return (await import('./audit.ts')).auditCommand(rest, process.stdout);
    case 'completion':
      return (await import('./completion.ts')).completionCommand(rest, process.stdout);
    case '__complete':
      return (await import('./completion.ts')).completeCommand(rest, process.stdout);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`unknown command "${cmd}" (one of: agent, replay, baseline, alerts, incidents, audit, completion, help)`);
  }
}

/** the exit code and one line for an error */
export function describeError(e: unknown): { code: number; line: string } {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof ConfigError) return { code: EXIT.usage, line: e.message };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return { code: EXIT.usage, line: (e as Error).message.split('\n')[0] };
  }
  const exitCode = (e as { exitCode?: unknown })?.exitCode;
  // usage messages may carry the command's help after the first line: the first line says it
  if (e instanceof UsageError) return { code: EXIT.usage, line: `${e.message.split('\n')[0]} (--help for usage)` };
  if (e instanceof Error && typeof exitCode === 'number') return { code: exitCode, line: e.message.split('\n')[0] };
  // a bug of ours: one line, the details on request
  return { code: EXIT.internal, line: `internal error: ${(e as Error)?.message ?? String(e)} (set HABITWATCH_DEBUG=1 for the stack trace)` };
}

export async function run(argv: string[], o: { plugin?: boolean } = {}): Promise<void> {
  if (o.plugin) mode.plugin = true;
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    const { code, line } = describeError(e);
    const prog = o.plugin ? 'kubectl habitwatch' : 'habitwatch';
    process.stderr.write(`${prog}: ${line}\n`);
    if (process.env.HABITWATCH_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    process.exitCode = code;
  }
}
