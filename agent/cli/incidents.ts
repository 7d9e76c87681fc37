// `habitwatch incidents [--since T] [--severity S] [--workload ID] [--limit N] [--json]`
// `habitwatch incidents show ID [--json]`: one incident's timeline
import { parseArgs } from 'node:util';
import type { Alert } from '../../models/alert.ts';
import type { Incident } from '../../models/incident.ts';
import { clientOptionSpec, connect } from './client.ts';
import { UsageError } from './errors.ts';
import { table } from './table.ts';

const HELP = `usage: habitwatch incidents [--since TIME|15m] [--severity S] [--workload ID] [--limit N] [--json]
       habitwatch incidents show ID [--json]
  An incident groups the alerts of one attack (one container within a window): newest first,
  with its highest severity, its ATT&CK techniques and its alerts; "show" prints its timeline.
options: --api URL, --token T, --db FILE|DIR`;

const where = (i: Incident): string => `${i.workload.id}#${i.workload.container ?? ''}`;

export async function incidentsCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...clientOptionSpec,
      since: { type: 'string' },
      severity: { type: 'string' },
      workload: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  if (values.help) {
    out.write(HELP + '\n');
    return 0;
  }
  const [sub, id, ...extra] = positionals;
  if (sub !== undefined && (sub !== 'show' || id === undefined || extra.length > 0)) throw new UsageError(HELP);
  const client = await connect(values);
  try {
    if (sub === 'show') {
      const r = (await client.get(`/v1/incidents/${encodeURIComponent(id!)}`)) as { incident: Incident; alerts: Alert[] };
      if (values.json) {
        out.write(JSON.stringify(r) + '\n');
        return 0;
      }
      const i = r.incident;
      out.write(`incident ${i.id}  ${i.severity.toUpperCase()}  ${where(i)} on ${i.workload.node}\n`);
      out.write(`${i.time} → ${i.lastSeen}  ${i.alerts} alert(s), ${i.count} occurrence(s)\n`);
      out.write(`techniques: ${i.mitre.map((m) => `${m.technique} ${m.name}`).join('; ')}\n${i.summary}\n\n`);
      const rows = i.timeline.map((e) => [e.time, e.severity, e.rule, e.technique, `${e.pid} ${e.exe}`, String(e.count), e.summary]);
      out.write(table(['TIME', 'SEVERITY', 'RULE', 'ATT&CK', 'PROCESS', 'COUNT', 'SUMMARY'], rows, 70) + '\n');
      if (i.truncated > 0) out.write(`(+${i.truncated} more alert(s) not in the timeline)\n`);
      return 0;
    }
    const q = new URLSearchParams();
    for (const k of ['since', 'severity', 'workload', 'limit'] as const) if (values[k]) q.set(k, values[k]!);
    const { incidents } = (await client.get(`/v1/incidents?${q}`)) as { incidents: Incident[] };
    if (values.json) out.write(incidents.map((i) => JSON.stringify(i) + '\n').join(''));
    else if (incidents.length === 0) out.write('no incidents\n');
    else {
      const rows = incidents.map((i) => [i.id, i.time, i.severity, String(i.alerts), i.mitre.map((m) => m.technique).join(','), where(i), i.summary]);
      out.write(table(['ID', 'TIME', 'SEVERITY', 'ALERTS', 'ATT&CK', 'WORKLOAD', 'SUMMARY'], rows, 70) + '\n');
    }
    return 0;
  } finally {
    client.close();
  }
}
