// `habitwatch baseline <subcommand>`: what a workload normally does, what changed,
// and (baseline-change.ts, baseline-export.ts) what to change or enforce.
import { parseArgs } from 'node:util';
import type { ContainerSummary, ShownBaseline, WorkloadSummary } from '../respond/lookup.ts';
import type { DiffResult } from '../respond/diff.ts';
import type { Item } from '../../models/baseline/items.ts';
import { connect, type Client } from './client.ts';
import { EXIT, UsageError } from './errors.ts';
import { Output } from './output.ts';
import { CONNECTION_HELP, encodeWorkload, need, noExtra, commonOptionSpec, qs, query } from './args.ts';
import { changeCommand, CHANGE_HELP, CHANGE_SUBCOMMANDS } from './baseline-change.ts';
import { exportCommand, EXPORT_HELP, EXPORT_SUBCOMMANDS } from './baseline-export.ts';

export const BASELINE_HELP = `usage: habitwatch baseline <subcommand> [options]
  list     [--namespace NS] [--state S] [-o name]      workloads and each container's baseline state
  show     WORKLOAD [--container C] [--kind K] [--patterns]   what the workload normally does
  diff     WORKLOAD [--from V] [--to V]                 items added/removed between versions (default: last change)
  diff     WORKLOAD --against OTHER [--against-container C]   between two workloads
  diff     WORKLOAD --since TIME [--until TIME]         what is new since then ("2026-03-03", "2d")
           diff --exit-code: exit 1 when there are changes
${CHANGE_HELP}
${EXPORT_HELP}
${CONNECTION_HELP}`;

export const BASELINE_SUBCOMMANDS = ['list', 'show', 'diff', ...CHANGE_SUBCOMMANDS, ...EXPORT_SUBCOMMANDS];

const READ_OPTIONS = {
  container: { type: 'string' },
  kind: { type: 'string' },
  patterns: { type: 'boolean' },
  state: { type: 'string' },
  namespace: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  against: { type: 'string' },
  'against-container': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'exit-code': { type: 'boolean' },
} as const;

export async function baselineCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const sub = argv[0];
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out.write(BASELINE_HELP + '\n');
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (CHANGE_SUBCOMMANDS.includes(sub)) return changeCommand(sub, argv.slice(1), out, BASELINE_HELP);
  if (EXPORT_SUBCOMMANDS.includes(sub)) return exportCommand(sub, argv.slice(1), out, BASELINE_HELP);
  if (!['list', 'show', 'diff'].includes(sub)) throw new UsageError(`unknown baseline subcommand "${sub}" (one of: ${BASELINE_SUBCOMMANDS.join(', ')})`);
  const { values, positionals } = parseArgs({ args: argv.slice(1), options: { ...commonOptionSpec, ...READ_OPTIONS }, allowPositionals: true, strict: true });
  if (values.help) {
    out.write(BASELINE_HELP + '\n');
    return EXIT.ok;
  }
  const o = new Output(out, values, sub === 'list' ? ['table', 'json', 'yaml', 'name'] : ['table', 'json', 'yaml']);
  const [workload, ...rest] = positionals;
  if (sub === 'list') noExtra(positionals, BASELINE_HELP);
  else noExtra(rest, BASELINE_HELP);
  const client = await connect(values);
  try {
    if (sub === 'list') return await list(client, o, query(values, { namespace: 'namespace', state: 'state' }));
    const w = need(workload, 'WORKLOAD', BASELINE_HELP);
    if (sub === 'show') return await show(client, o, w, query(values, { container: 'container', kind: 'kind', patterns: 'patterns' }));
    const q = query(values, { container: 'container', from: 'from', to: 'to', against: 'against', 'against-container': 'againstContainer', since: 'since', until: 'until' });
    const r = (await client.get(`/v1/workloads/${encodeWorkload(w)}/diff${qs(q)}`)) as DiffResult;
    o.emit(r, () => renderDiff(o, r));
    return values['exit-code'] && r.changes.length > 0 ? EXIT.found : EXIT.ok;
  } finally {
    client.close();
  }
}

async function list(client: Client, o: Output, q: URLSearchParams): Promise<number> {
  const r = (await client.get(`/v1/workloads${qs(q)}`)) as { workloads: WorkloadSummary[] };
  o.emit(
    r,
    () =>
      r.workloads.length === 0
        ? 'no baselines yet'
        : o.table(
            ['WORKLOAD', 'CONTAINER', 'STATE', 'VER', 'ITEMS', 'SINCE / STABLE ETA'],
            r.workloads.flatMap((w) => w.containers.map((c) => [w.id, c.container, o.state(c.state), String(c.version), counts(c), c.stableSince ?? (c.stableEta ? `eta ${c.stableEta}` : c.learningSince)])),
          ),
    () => r.workloads.map((w) => w.id),
  );
  return EXIT.ok;
}

function counts(c: ContainerSummary): string {
  const f = Object.entries(c.forbidden ?? {});
  return Object.entries(c.items).map(([k, n]) => `${k}:${n}`).join(' ') + (f.length ? `  forbidden ${f.map(([k, n]) => `${k}:${n}`).join(' ')}` : '');
}

async function show(client: Client, o: Output, w: string, q: URLSearchParams): Promise<number> {
  const r = (await client.get(`/v1/workloads/${encodeWorkload(w)}/baseline${qs(q)}`)) as { workload: string; baselines: ShownBaseline[] };
  o.emit(r, () => r.baselines.map((b) => showOne(o, b)).join('\n\n'));
  return EXIT.ok;
}

const when = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function showOne(o: Output, b: ShownBaseline): string {
  const s = b.summary;
  const head = `${b.meta.workloadId}  container ${s.container}  ${o.state(s.state)} v${s.version}${s.image ? `  image ${s.image}` : ''}`;
  const status = s.stableSince ? `stable since ${s.stableSince}` : s.stableEta ? `learning since ${s.learningSince}, stable at ${s.stableEta} if nothing new` : s.lockedBy ? `locked by ${s.lockedBy}` : '';
  const collapsed = Object.entries(b.meta.collapsed).map(([k, dirs]) => `collapsed ${k}: ${(dirs as string[]).join(', ')}`);
  const forbidden = Object.entries(b.meta.forbidden ?? {}).map(([k, ps]) => o.paint(`forbidden ${k}: ${(ps as string[]).join(', ')}`, 'red'));
  const sections = Object.entries(b.items).map(([kind, items]) => {
    const rows = (items as Item[]).map((i) => [
      i.key,
      String(i.count),
      when(i.firstSeen),
      when(i.lastSeen),
      i.nodes.join(',') || '-',
      i.detail?.parents ? `from ${i.detail.parents.join(', ')}` : i.detail?.ops ? i.detail.ops.join(',') : '',
    ]);
    return `${kind} (${rows.length})\n` + o.table(['ITEM', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'NODES', 'DETAIL'], rows, 80);
  });
  return [head, status, ...collapsed, ...forbidden, ...sections].filter(Boolean).join('\n');
}

function renderDiff(o: Output, r: DiffResult): string {
  const side = (s: DiffResult['from']): string => `${s.workload}#${s.container} v${s.version}${s.asOf ? ` as of ${s.asOf}` : ''}`;
  const head = `${side(r.from)} → ${side(r.to)}`;
  if (r.changes.length === 0) return `${head}: no changes`;
  return head + '\n' + r.changes.map((c) => o.paint(`${c.change === 'added' ? '+' : '-'} ${c.kind.padEnd(10)} ${c.item}`, c.change === 'added' ? 'green' : 'red')).join('\n');
}
