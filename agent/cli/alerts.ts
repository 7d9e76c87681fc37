// `habitwatch alerts [list] | show ID | ack|resolve|reopen ID | approve ID`, with filters,
// cursor pages (--all follows them) and --follow over the live stream.
import { parseArgs } from 'node:util';
import type { StoredAlert } from '../store/alerts.ts';
import { connect } from './client.ts';
import { EXIT, UsageError } from './errors.ts';
import { Output } from './output.ts';
import { CONNECTION_HELP, FILTER_OPTIONS, FILTER_QUERY, commonOptionSpec, need, noExtra, pages, query } from './args.ts';
import { follow } from './follow.ts';

const HELP = `usage: habitwatch alerts [list] [--since TIME] [--until TIME] [--severity S] [--status open|acknowledged|resolved]
                         [--namespace NS] [--workload ID] [--rule R] [--limit N] [--all] [--follow] [--exit-code]
       habitwatch alerts show ID                 one alert: evidence, process ancestry, baseline context
       habitwatch alerts ack|resolve|reopen ID [--note N]   triage
       habitwatch alerts approve ID [--note N]   a false positive: learn it, resolve the alert
  TIME is ISO 8601, epoch ms or a duration ago (15m, 2d); --severity is a minimum.
  --all follows the pages (default: the newest --limit, 100); --follow prints alerts as they come
  (Ctrl-C to stop); --exit-code exits 1 when any alert is listed.
${CONNECTION_HELP}`;

const OPTIONS = { ...FILTER_OPTIONS, note: { type: 'string' } } as const;

const TRIAGE: Record<string, string> = { ack: 'acknowledged', resolve: 'resolved', reopen: 'open' };

export async function alertsCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...commonOptionSpec, ...OPTIONS }, allowPositionals: true, strict: true });
  if (values.help || positionals[0] === 'help') {
    out.write(HELP + '\n');
    return EXIT.ok;
  }
  const [sub = 'list', id, ...rest] = positionals;
  if (!['list', 'show', 'approve', ...Object.keys(TRIAGE)].includes(sub)) throw new UsageError(`unknown alerts subcommand "${sub}"\n${HELP}`);
  const o = new Output(out, values);
  const client = await connect(values);
  const row = (a: StoredAlert): string[] => [a.lastSeen, o.severity(a.severity), o.state(a.status ?? 'open'), a.rule, `${a.workload.id}#${a.workload.container ?? ''}`, String(a.count), a.id, a.summary];
  const HEAD = ['LAST SEEN', 'SEVERITY', 'STATUS', 'RULE', 'WORKLOAD', 'COUNT', 'ID', 'SUMMARY'];
  try {
    if (sub !== 'list') {
      noExtra(rest, HELP);
      const a = encodeURIComponent(need(id, 'alert ID', HELP));
      if (sub === 'show') {
        const r = (await client.get(`/v1/alerts/${a}`)) as StoredAlert;
        o.emit(r, () => showAlert(o, r));
      } else if (sub === 'approve') {
        const r = (await client.post(`/v1/alerts/${a}/approve`, values.note ? { note: values.note } : {})) as { baseline: string; added: string[]; exception?: { rule: string } };
        o.emit(r, () => `${r.baseline}: ${r.exception ? `exception for ${r.exception.rule}` : r.added.length ? `added ${r.added.join(', ')}` : 'already known'}; alert resolved`);
      } else {
        const r = (await client.post(`/v1/alerts/${a}/status`, { status: TRIAGE[sub], ...(values.note ? { note: values.note } : {}) })) as StoredAlert;
        o.emit(r, () => `${r.id}: ${o.state(r.status)}`);
      }
      return EXIT.ok;
    }
    noExtra(id === undefined ? [] : [id, ...rest], HELP);
    const q = query(values, FILTER_QUERY);
    const shown = await pages<StoredAlert>(client.get, '/v1/alerts', 'alerts', q, values.all);
    // oldest first on screen (newest last, next to where --follow continues)
    const list = [...shown].reverse();
    if (list.length > 0 || !values.follow) o.emitList(list, () => (list.length ? o.table(HEAD, list.map(row)) : 'no alerts'));
    if (!values.follow) return values['exit-code'] && list.length > 0 ? EXIT.found : EXIT.ok;
    const seen = new Set(list.map((a) => a.id));
    const sq = query(values, { severity: 'minSeverity', namespace: 'namespace', workload: 'workload', rule: 'rule' });
    return await follow(client, {
      query: sq,
      err,
      onAlert: (u) => {
        if (!u.isNew || seen.has(u.alert.id)) return;
        seen.add(u.alert.id);
        const a = { ...u.alert, status: 'open' } as StoredAlert;
        if (o.format === 'table') o.write(row(a).join('  '));
        else o.emitList([a], () => '');
      },
    });
  } finally {
    client.close();
  }
}

function showAlert(o: Output, a: StoredAlert): string {
  const lines = [
    `${o.severity(a.severity.toUpperCase())}  ${a.rule}  ${o.state(a.status)}${a.statusChange ? ` (by ${a.statusChange.by} at ${a.statusChange.at}${a.statusChange.note ? `: ${a.statusChange.note}` : ''})` : ''}`,
    a.summary,
    `${a.time} → ${a.lastSeen}, ${a.count} occurrence(s); id ${a.id}`,
    `workload ${a.workload.id}  container ${a.workload.container ?? '-'}  pod ${a.workload.pod ?? '-'}  node ${a.workload.node}  image ${a.workload.image ?? '-'}`,
    `ATT&CK ${a.mitre.technique} ${a.mitre.name} (${a.mitre.tactic})`,
    `process ${a.process.pid} ${a.process.exe} ${JSON.stringify(a.process.args)} uid ${a.process.uid ?? '-'} cwd ${a.process.cwd ?? '-'}`,
    ...a.process.ancestors.map((p, i) => `${'  '.repeat(i + 1)}└ ${p.pid ?? '?'} ${p.exe}${p.args ? ' ' + JSON.stringify(p.args) : ''}`),
    `evidence ${Object.entries(a.evidence).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ')}`,
    `baseline ${a.baseline.state} v${a.baseline.version}, ${a.baseline.items} item(s) of this kind${a.baseline.expected.length ? `; expected one of ${a.baseline.expected.join(', ')}` : ''}`,
    a.description,
  ];
  return lines.join('\n');
}
