// Shell completion. One source of truth: `habitwatch __complete WORD…` prints the
// candidates for the last word, one per line, then a Cobra-style directive line (`:4`
// no file completion, `:0` files allowed) — the protocol kubectl uses for plugins
// (`kubectl_complete-habitwatch` on PATH). The bash, zsh and fish scripts that
// `habitwatch completion SHELL` prints only call it. Workload and alert ids come from the
// agent (best effort, 2 s) with the connection flags already on the line.
import { EXIT, UsageError } from './errors.ts';

const COMMANDS = ['agent', 'replay', 'baseline', 'alerts', 'incidents', 'audit', 'completion', 'help'];
const SUBS: Record<string, string[]> = {
  baseline: ['list', 'show', 'diff', 'approve', 'forbid', 'unforbid', 'remove', 'relearn', 'lock', 'unlock', 'export', 'import', 'seccomp', 'networkpolicy', 'writable-paths'],
  alerts: ['list', 'show', 'ack', 'resolve', 'reopen', 'approve'],
  incidents: ['list', 'show'],
  completion: ['bash', 'zsh', 'fish'],
};
const CONNECT = ['--api', '--token', '--token-file', '--ca', '--insecure', '--db', '--kubeconfig', '--context', '--node', '--pod', '--agent-namespace', '--output', '--json', '--color', '--help'];
const FLAGS: Record<string, string[]> = {
  agent: ['--config', '--help'],
  replay: ['--source', '--learn-events', '--learn-until', '--json', '--config', '--node', '--min-severity', '--threads', '--help'],
  baseline: [...CONNECT, '--container', '--kind', '--patterns', '--state', '--namespace', '--from', '--to', '--against', '--against-container', '--since', '--until', '--exit-code', '--note', '--alert', '--reset', '--workload', '--merge', '--format', '--pod-selector', '--mounts'],
  alerts: [...CONNECT, '--since', '--until', '--severity', '--status', '--namespace', '--workload', '--rule', '--limit', '--all', '--follow', '--note', '--exit-code'],
  incidents: [...CONNECT, '--since', '--until', '--severity', '--status', '--namespace', '--workload', '--rule', '--limit', '--all', '--follow', '--exit-code'],
  audit: [...CONNECT, '--since', '--until', '--actor', '--action', '--workload', '--limit', '--all'],
};
const VALUES: Record<string, string[]> = {
  '--kind': ['exec', 'file_write', 'file_open', 'listen', 'connect', 'syscall'],
  '--severity': ['info', 'low', 'medium', 'high', 'critical'],
  '--min-severity': ['info', 'low', 'medium', 'high', 'critical'],
  '--status': ['open', 'acknowledged', 'resolved'],
  '--state': ['learning', 'stable', 'unstable', 'relearning', 'locked'],
  '--output': ['table', 'json', 'yaml', 'name'],
  '-o': ['table', 'json', 'yaml', 'name'],
  '--color': ['auto', 'always', 'never'],
  '--format': ['localhost', 'operator', 'report', 'document', 'workloadbaseline'],
  '--source': ['events', 'auditd', 'tetragon', 'falco', 'bpftrace'],
};
/** flags whose value is a file: let the shell complete paths */
const FILE_FLAGS = new Set(['--config', '--token-file', '--ca', '--db', '--kubeconfig']);

/** connection flags already typed, to ask the agent for ids */
function connectionArgs(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length - 1; i++) {
    if (['--api', '--token', '--token-file', '--ca', '--db', '--kubeconfig', '--context', '--node', '--pod', '--agent-namespace'].includes(words[i])) out.push(words[i], words[i + 1]);
    if (words[i] === '--insecure') out.push('--insecure');
  }
  return out;
}

async function ids(kind: 'workloads' | 'alerts' | 'incidents', words: string[]): Promise<string[]> {
  const { connect } = await import('./client.ts');
  const { parseArgs } = await import('node:util');
  const { commonOptionSpec } = await import('./args.ts');
  try {
    const { values } = parseArgs({ args: connectionArgs(words), options: commonOptionSpec, strict: false });
    const client = await connect(values as Record<string, string>);
    try {
      const get = (p: string): Promise<unknown> => Promise.race([client.get(p), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('slow')), 2000).unref())]);
      if (kind === 'workloads') return ((await get('/v1/workloads')) as { workloads: { id: string }[] }).workloads.map((w) => w.id);
      if (kind === 'alerts') return ((await get('/v1/alerts?limit=50')) as { alerts: { id: string }[] }).alerts.map((a) => a.id);
      return ((await get('/v1/incidents?limit=50')) as { incidents: { id: string }[] }).incidents.map((i) => i.id);
    } finally {
      client.close();
    }
  } catch {
    return [];
  }
}

/** candidates for the last of `words` (the words after the program name) and the directive */
export async function complete(words: string[]): Promise<{ candidates: string[]; directive: number }> {
  const cur = words[words.length - 1] ?? '';
  const prev = words[words.length - 2];
  const done = (c: string[], directive = 4) => ({ candidates: c.filter((x) => x.startsWith(cur)), directive });
  if (prev !== undefined && FILE_FLAGS.has(prev)) return { candidates: [], directive: 0 };
  if (prev !== undefined && VALUES[prev]) return done(VALUES[prev]);
  if (words.length <= 1) return done(COMMANDS);
  const cmd = words[0];
  if (cur.startsWith('-')) return done(FLAGS[cmd] ?? ['--help']);
  const positional = words.slice(1, -1).filter((w, i, a) => !w.startsWith('-') && !(i > 0 && a[i - 1].startsWith('--') && !['--insecure', '--json', '--all', '--follow', '--patterns', '--exit-code', '--reset', '--merge'].includes(a[i - 1])));
  if (SUBS[cmd] && positional.length === 0) return done(SUBS[cmd]);
  const sub = positional[0];
  if (cmd === 'replay') return { candidates: [], directive: 0 };
  if (cmd === 'baseline' && sub === 'import') return { candidates: [], directive: 0 };
  if (cmd === 'baseline' && sub !== 'list' && positional.length === 1) return done(await ids('workloads', words));
  if (cmd === 'alerts' && sub !== 'list' && positional.length === 1) return done(await ids('alerts', words));
  if (cmd === 'incidents' && sub === 'show' && positional.length === 1) return done(await ids('incidents', words));
  return done([]);
}

const script: Record<string, string> = {
  bash: `# habitwatch bash completion: source <(habitwatch completion bash)
_habitwatch() {
  local IFS=$'\\n'
  local out; out=$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  local directive="\${out##*:}"; out="\${out%:*}"
  COMPREPLY=($(compgen -W "$out" -- "\${COMP_WORDS[COMP_CWORD]}"))
  [[ "$directive" == 0 && \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}"))
}
complete -F _habitwatch habitwatch kubectl-habitwatch
`,
  zsh: `#compdef habitwatch kubectl-habitwatch
# habitwatch zsh completion: source <(habitwatch completion zsh)
_habitwatch() {
  local -a lines; lines=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local directive="\${lines[-1]#:}"; lines=("\${(@)lines[1,-2]}")
  if (( \${#lines} )); then compadd -- "\${lines[@]}"; elif [[ "$directive" == 0 ]]; then _files; fi
}
compdef _habitwatch habitwatch kubectl-habitwatch
`,
  fish: `# habitwatch fish completion: habitwatch completion fish | source
function __habitwatch_complete
  set -l words (commandline -opc) (commandline -ct)
  $words[1] __complete $words[2..-1] 2>/dev/null | string match -v -r '^:'
end
complete -c habitwatch -f -a '(__habitwatch_complete)'
complete -c kubectl-habitwatch -f -a '(__habitwatch_complete)'
`,
};

export async function completionCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const shell = argv[0];
  if (shell === undefined || argv.length > 1 || !script[shell]) throw new UsageError('usage: habitwatch completion bash|zsh|fish   (e.g. source <(habitwatch completion bash))');
  out.write(script[shell]);
  return EXIT.ok;
}

export async function completeCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { candidates, directive } = await complete(argv);
  out.write(candidates.map((c) => c + '\n').join('') + `:${directive}\n`);
  return EXIT.ok;
}
