// `habitwatch baseline approve|forbid|unforbid|remove|relearn|lock|unlock|import`:
// changing what a baseline knows. Every change is audited by the agent.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { ContainerSummary } from '../respond/lookup.ts';
import { connect } from './client.ts';
import { EXIT, UsageError } from './errors.ts';
import { Output } from './output.ts';
import { commonOptionSpec, encodeWorkload, need, noExtra } from './args.ts';

export const CHANGE_HELP = `  approve  WORKLOAD --kind K ITEM… [--container C] [--note N]   add items (* = one path segment or host; ** and /* are refused)
  approve  --alert ID [--note N]                     what the alert was about becomes normal; the alert resolves
  forbid   WORKLOAD --kind K PATTERN… [--container C]   never learn these, always alert (globs allowed)
  unforbid WORKLOAD --kind K PATTERN…                 undo a forbid
  remove   WORKLOAD --kind K ITEM…                    forget items
  relearn  WORKLOAD [--container C] [--reset]         learn again (--reset forgets the items: a new version)
  lock|unlock WORKLOAD [--container C]                freeze the baseline (no learning, novelty on) / back to stable
  import   FILE|- [--workload ID] [--merge]           load an export (JSON or YAML): the document, or the WorkloadBaseline object`;

export const CHANGE_SUBCOMMANDS = ['approve', 'forbid', 'unforbid', 'remove', 'relearn', 'lock', 'unlock', 'import'];

const OPTIONS = {
  container: { type: 'string' },
  kind: { type: 'string' },
  note: { type: 'string' },
  alert: { type: 'string' },
  reset: { type: 'boolean' },
  workload: { type: 'string' },
  merge: { type: 'boolean' },
} as const;

function readInput(file: string): { text: string; type: string } {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { text, type: text.trimStart().startsWith('{') ? 'application/json' : 'application/yaml' };
}

export async function changeCommand(sub: string, argv: string[], out: NodeJS.WritableStream, BASELINE_HELP: string): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...commonOptionSpec, ...OPTIONS }, allowPositionals: true, strict: true });
  if (values.help) {
    out.write(BASELINE_HELP + '\n');
    return EXIT.ok;
  }
  const o = new Output(out, values);
  const [first, ...rest] = positionals;
  const client = await connect(values);
  try {
    if (sub === 'approve' && values.alert !== undefined) {
      noExtra(positionals, BASELINE_HELP);
      const r = (await client.post(`/v1/alerts/${encodeURIComponent(values.alert)}/approve`, values.note !== undefined ? { note: values.note } : {})) as {
        baseline: string;
        added: string[];
        exception?: { rule: string; finding: string };
      };
      o.emit(r, () =>
        r.exception
          ? `${r.baseline}: ${r.exception.rule} ${r.exception.finding} is now an exception; alert resolved`
          : r.added.length
            ? `added to ${r.baseline}: ${r.added.join(', ')}; alert resolved`
            : `${r.baseline}: already known, nothing added; alert resolved`,
      );
      return EXIT.ok;
    }
    if (sub === 'import') {
      const file = need(first, 'FILE (or - for standard input)', BASELINE_HELP);
      noExtra(rest, BASELINE_HELP);
      const { text, type } = readInput(file);
      const q = new URLSearchParams();
      if (values.workload !== undefined) q.set('workload', values.workload);
      if (values.merge) q.set('mode', 'merge');
      const r = (await client.post(`/v1/baselines/import${q.size ? `?${q}` : ''}`, text, type)) as { workload: string; baselines: { key: string; version: number; state: string; items: number; created: boolean }[] };
      o.emit(r, () => r.baselines.map((b) => `${b.created ? 'created' : 'replaced'} ${b.key}: ${o.state(b.state)} v${b.version}, ${b.items} item(s)`).join('\n'));
      return EXIT.ok;
    }
    const w = encodeWorkload(need(first, 'WORKLOAD', BASELINE_HELP));
    if (['approve', 'forbid', 'unforbid', 'remove'].includes(sub)) {
      const kind = need(values.kind, '--kind (exec, file_write, file_open, listen, connect, syscall)', BASELINE_HELP);
      if (rest.length === 0) throw new UsageError(`baseline ${sub}: at least one ITEM is required`);
      const r = (await client.post(`/v1/workloads/${w}/${sub}`, { kind, items: rest, ...(values.container ? { container: values.container } : {}), ...(values.note ? { note: values.note } : {}) })) as Record<string, string[]> & { baseline: string };
      o.emit(r, () => {
        const list = (k: string, label: string): string => (r[k]?.length ? `${label}: ${r[k].join(', ')}` : '');
        const lines = [list('added', 'added'), list('resolvedAlerts', 'alerts resolved'), list('forbidden', 'forbidden'), list('removedItems', 'learned items removed'), list('unforbidden', 'no longer forbidden'), list('removed', 'removed'), list('missing', 'not there')].filter(Boolean);
        return `${r.baseline}: ${lines.length ? lines.join('; ') : 'nothing changed (already so)'}`;
      });
      return EXIT.ok;
    }
    noExtra(rest, BASELINE_HELP);
    const body = { ...(values.container ? { container: values.container } : {}), ...(sub === 'relearn' && values.reset ? { reset: true } : {}), ...(values.note ? { note: values.note } : {}) };
    const r = (await client.post(`/v1/workloads/${w}/${sub}`, body)) as { baselines: ContainerSummary[] };
    o.emit(r, () => r.baselines.map((b) => `${first} ${b.container}: ${o.state(b.state)} (v${b.version})`).join('\n'));
    return EXIT.ok;
  } finally {
    client.close();
  }
}
