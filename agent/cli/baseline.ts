// `habitwatch baseline list|show|diff|approve|relearn|lock|unlock|export`
import { parseArgs } from 'node:util';
import type { WorkloadSummary } from '../respond/lookup.ts';
import type { DiffResult } from '../respond/diff.ts';
import type { BaselineSnapshot } from '../../models/baseline/baseline.ts';
import type { Item } from '../../models/baseline/items.ts';
import { clientOptionSpec, connect } from './client.ts';
import { UsageError } from './errors.ts';
import { table } from './table.ts';

const HELP = `usage: habitwatch baseline <subcommand> [options]
  list                                   workloads and the state of each container's baseline
  show     WORKLOAD [--container C] [--kind K]   what the workload normally does
  diff     WORKLOAD [--container C] [--from V] [--to V]   items added/removed between versions
  approve  WORKLOAD --kind K ITEM… [--container C]   add items (globs: * one segment, ** any depth)
  approve  --alert ID                    add the item an alert was about (false positive)
  relearn  WORKLOAD [--container C] [--reset]   learn again (--reset forgets the items)
  lock|unlock WORKLOAD [--container C]   freeze the baseline (no learning, novelty on)
  export   WORKLOAD                      JSON of all its baselines
options: --api URL (default $HABITWATCH_API or http://127.0.0.1:7420), --token T ($HABITWATCH_TOKEN),
         --db FILE|DIR (work on the database while the agent is stopped), --json`;

const enc = (id: string): string => id.split('/').map(encodeURIComponent).join('/');

export async function baselineCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...clientOptionSpec,
      container: { type: 'string' },
      kind: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      alert: { type: 'string' },
      reset: { type: 'boolean', default: false },
      state: { type: 'string' },
      namespace: { type: 'string' },
    },
  });
  const [sub, workload, ...rest] = positionals;
  if (values.help || sub === undefined) {
    out.write(HELP + '\n');
    return sub === undefined && !values.help ? 2 : 0;
  }
  const needWorkload = (): string => {
    if (!workload) throw new UsageError(`baseline ${sub}: WORKLOAD is required\n${HELP}`);
    return workload;
  };
  const q = new URLSearchParams();
  if (values.container) q.set('container', values.container);
  const client = await connect(values);
  const print = (v: unknown, human: () => string): void => {
    out.write((values.json ? JSON.stringify(v, null, 2) : human()) + '\n');
  };
  try {
    switch (sub) {
      case 'list': {
        if (values.state) q.set('state', values.state);
        if (values.namespace) q.set('namespace', values.namespace);
        const r = (await client.get(`/v1/workloads?${q}`)) as { workloads: WorkloadSummary[] };
        print(r, () =>
          r.workloads.length === 0
            ? 'no baselines yet'
            : table(
                ['WORKLOAD', 'CONTAINER', 'STATE', 'VER', 'ITEMS', 'SINCE / STABLE ETA'],
                r.workloads.flatMap((w) =>
                  w.containers.map((c) => [
                    w.id,
                    c.container,
                    c.state,
                    String(c.version),
                    Object.entries(c.items).map(([k, n]) => `${k}:${n}`).join(' '),
                    c.stableSince ?? (c.stableEta ? `eta ${c.stableEta}` : c.learningSince),
                  ]),
                ),
                70,
              ),
        );
        return 0;
      }
      case 'show': {
        if (values.kind) q.set('kind', values.kind);
        const r = (await client.get(`/v1/workloads/${enc(needWorkload())}/baseline?${q}`)) as { baselines: (BaselineSnapshot & { summary: WorkloadSummary['containers'][0] })[] };
        print(r, () => r.baselines.map(showOne).join('\n\n'));
        return 0;
      }
      case 'diff': {
        if (values.from) q.set('from', values.from);
        if (values.to) q.set('to', values.to);
        const r = (await client.get(`/v1/workloads/${enc(needWorkload())}/diff?${q}`)) as DiffResult;
        print(r, () =>
          r.changes.length === 0
            ? `v${r.from.version} → v${r.to.version}: no changes`
            : `v${r.from.version} → v${r.to.version}\n` + r.changes.map((c) => `${c.change === 'added' ? '+' : '-'} ${c.kind.padEnd(10)} ${c.item}`).join('\n'),
        );
        return 0;
      }
      case 'approve': {
        let r: unknown;
        if (values.alert) r = await client.post(`/v1/alerts/${encodeURIComponent(values.alert)}/approve`, {});
        else {
          if (!values.kind) throw new UsageError('baseline approve: --kind is required (or --alert ID)');
          const items = rest;
          if (items.length === 0) throw new UsageError('baseline approve: at least one ITEM is required');
          r = await client.post(`/v1/workloads/${enc(needWorkload())}/approve`, { kind: values.kind, items, container: values.container });
        }
        const a = r as { baseline: string; added: string[] };
        print(r, () => (a.added.length ? `added to ${a.baseline}: ${a.added.join(', ')}` : `${a.baseline}: already known, nothing added`));
        return 0;
      }
      case 'relearn':
      case 'lock':
      case 'unlock': {
        const body = sub === 'relearn' ? { container: values.container, reset: values.reset } : { container: values.container };
        const r = (await client.post(`/v1/workloads/${enc(needWorkload())}/${sub}`, body)) as {
          baselines: { container: string; state: string; version: number }[];
        };
        print(r, () => r.baselines.map((b) => `${workload} ${b.container}: ${b.state} (v${b.version})`).join('\n'));
        return 0;
      }
      case 'export': {
        const r = await client.get(`/v1/workloads/${enc(needWorkload())}/export`);
        out.write(JSON.stringify(r, null, 2) + '\n');
        return 0;
      }
      default:
        throw new UsageError(`unknown baseline subcommand "${sub}"\n${HELP}`);
    }
  } finally {
    client.close();
  }
}

function showOne(b: BaselineSnapshot & { summary: WorkloadSummary['containers'][0] }): string {
  const s = b.summary;
  const head = `${b.meta.workloadId}  container ${s.container}  ${s.state} v${s.version}${s.image ? `  image ${s.image}` : ''}`;
  const when = s.stableSince ? `stable since ${s.stableSince}` : s.stableEta ? `learning since ${s.learningSince}, stable at ${s.stableEta} if nothing new` : '';
  const sections = Object.entries(b.items).map(([kind, items]) => {
    const rows = (items as Item[]).map((i) => [
      i.key,
      String(i.count),
      new Date(i.lastSeen).toISOString(),
      i.detail?.parents ? `from ${i.detail.parents.join(', ')}` : i.detail?.ops ? i.detail.ops.join(',') : '',
    ]);
    return `${kind} (${rows.length})\n` + table(['ITEM', 'COUNT', 'LAST SEEN', 'DETAIL'], rows, 80);
  });
  return [head, when, ...sections].filter(Boolean).join('\n');
}
