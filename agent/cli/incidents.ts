// `habitwatch incidents [list] [filters] [--follow]`, `habitwatch incidents show ID`:
// the alerts of one attack, grouped (with a timeline, highest severity, ATT&CK).
import { parseArgs } from 'node:util';
import type { StoredAlert } from '../store/alerts.ts';
import type { StoredIncident } from '../store/incidents.ts';
import { connect } from './client.ts';
import { EXIT, UsageError } from './errors.ts';
import { Output } from './output.ts';
import { CONNECTION_HELP, FILTER_OPTIONS, FILTER_QUERY, commonOptionSpec, need, noExtra, pages, query } from './args.ts';
import { follow } from './follow.ts';

const HELP = `usage: habitwatch incidents [list] [--since TIME] [--until TIME] [--severity S] [--status S] [--namespace NS]
                            [--workload ID] [--rule R] [--limit N] [--all] [--follow] [--exit-code]
       habitwatch incidents show ID
  An incident groups the alerts of one attack (one container within a window): newest first,
  with its highest severity, its ATT&CK techniques and its alerts; "show" prints its timeline.
  --follow prints incidents as they open, escalate or grow (Ctrl-C to stop).
${CONNECTION_HELP}`;

const OPTIONS = FILTER_OPTIONS;

const where = (i: StoredIncident): string => `${i.workload.id}#${i.workload.container ?? ''}`;

export async function incidentsCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...commonOptionSpec, ...OPTIONS }, allowPositionals: true, strict: true });
  if (values.help || positionals[0] === 'help') {
    out.write(HELP + '\n');
    return EXIT.ok;
  }
  const [sub = 'list', id, ...rest] = positionals;
  if (sub !== 'list' && sub !== 'show') throw new UsageError(`unknown incidents subcommand "${sub}"\n${HELP}`);
  const o = new Output(out, values);
  const client = await connect(values);
  const row = (i: StoredIncident): string[] => [i.id, i.time, o.severity(i.severity), o.state(i.status ?? 'open'), String(i.alerts), i.mitre.map((m) => m.technique).join(','), where(i), i.summary];
  const HEAD = ['ID', 'TIME', 'SEVERITY', 'STATUS', 'ALERTS', 'ATT&CK', 'WORKLOAD', 'SUMMARY'];
  try {
    if (sub === 'show') {
      noExtra(rest, HELP);
      const r = (await client.get(`/v1/incidents/${encodeURIComponent(need(id, 'incident ID', HELP))}`)) as { incident: StoredIncident; alerts: StoredAlert[] };
      o.emit(r, () => showIncident(o, r.incident));
      return EXIT.ok;
    }
    noExtra(id === undefined ? [] : [id, ...rest], HELP);
    const q = query(values, FILTER_QUERY);
    const all = await pages<StoredIncident>(client.get, '/v1/incidents', 'incidents', q, values.all);
    if (all.length > 0 || !values.follow) o.emitList(all, () => (all.length ? o.table(HEAD, all.map(row)) : 'no incidents'), () => all.map((i) => i.id));
    if (!values.follow) return values['exit-code'] && all.length > 0 ? EXIT.found : EXIT.ok;
    // an incident changes when one of its alerts comes or repeats: show it when it opens,
    // escalates or gains an alert
    const last = new Map(all.map((i) => [i.id, `${i.severity}/${i.alerts}`]));
    return await follow(client, {
      query: query(values, { severity: 'minSeverity', namespace: 'namespace', workload: 'workload', rule: 'rule' }),
      err,
      onAlert: async (u) => {
        const incId = (u.alert as { incident?: string }).incident;
        if (!incId) return;
        const { incident } = (await client.get(`/v1/incidents/${encodeURIComponent(incId)}`)) as { incident: StoredIncident };
        const key = `${incident.severity}/${incident.alerts}`;
        if (last.get(incident.id) === key) return;
        last.set(incident.id, key);
        if (o.format === 'table') o.write(row(incident).join('  '));
        else o.emitList([incident], () => '');
      },
    });
  } finally {
    client.close();
  }
}

function showIncident(o: Output, i: StoredIncident): string {
  const lines = [
    `incident ${i.id}  ${o.severity(i.severity.toUpperCase())}  ${o.state(i.status ?? 'open')}  ${where(i)} on ${i.workload.node}`,
    `${i.time} → ${i.lastSeen}  ${i.alerts} alert(s), ${i.count} occurrence(s)`,
    `techniques: ${i.mitre.map((m) => `${m.technique} ${m.name}`).join('; ')}`,
    i.summary,
    '',
    o.table(
      ['TIME', 'SEVERITY', 'RULE', 'ATT&CK', 'PROCESS', 'COUNT', 'SUMMARY'],
      i.timeline.map((e) => [e.time, o.severity(e.severity), e.rule, e.technique, `${e.pid} ${e.exe}`, String(e.count), e.summary]),
    ),
  ];
  if (i.truncated > 0) lines.push(`(+${i.truncated} more alert(s) not in the timeline)`);
  return lines.join('\n');
}
