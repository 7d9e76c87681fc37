// `habitwatch alerts [--follow] [--since T] [--severity S] [--workload ID] [--json]`
import { parseArgs } from 'node:util';
import type { Alert } from '../../models/alert.ts';
import { clientOptionSpec, connect } from './client.ts';
import { table } from './table.ts';
import { sleep } from '../../collector/sleep.ts';

const HELP = `usage: habitwatch alerts [--since TIME|15m] [--severity S] [--workload ID] [--rule R] [--limit N] [--follow] [--json]
  --follow keeps polling for new alerts (Ctrl-C to stop).
options: --api URL, --token T, --db FILE|DIR`;

export async function alertsCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...clientOptionSpec,
      since: { type: 'string' },
      severity: { type: 'string' },
      workload: { type: 'string' },
      rule: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean', short: 'f', default: false },
      interval: { type: 'string', default: '1000' },
    },
  });
  if (values.help) {
    out.write(HELP + '\n');
    return 0;
  }
  const client = await connect(values);
  const q = new URLSearchParams();
  for (const k of ['since', 'severity', 'workload', 'rule', 'limit'] as const) if (values[k]) q.set(k, values[k]!);
  const render = (alerts: Alert[]): string =>
    values.json
      ? alerts.map((a) => JSON.stringify(a)).join('\n')
      : table(['TIME', 'SEVERITY', 'RULE', 'WORKLOAD', 'COUNT', 'SUMMARY'], alerts.map((a) => [a.time, a.severity, a.rule, `${a.workload.id}#${a.workload.container ?? ''}`, String(a.count), a.summary]), 70);
  try {
    const first = ((await client.get(`/v1/alerts?${q}`)) as { alerts: Alert[] }).alerts.reverse();
    if (first.length > 0 || values.json) out.write(render(first) + (first.length ? '\n' : ''));
    else if (!values.follow) out.write('no alerts\n');
    if (!values.follow) return 0;
    // follow: poll for alerts last seen after the newest one shown
    const seen = new Map(first.map((a) => [a.id, a.count]));
    let since = first.length ? Date.parse(first[first.length - 1].lastSeen) : Date.now();
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    for (;;) {
      await sleep(Number(values.interval), stop.signal);
      if (stop.signal.aborted) return 0;
      q.set('since', String(since));
      const fresh = ((await client.get(`/v1/alerts?${q}`)) as { alerts: Alert[] }).alerts.reverse().filter((a) => seen.get(a.id) !== a.count);
      for (const a of fresh) {
        seen.set(a.id, a.count);
        since = Math.max(since, Date.parse(a.lastSeen));
        out.write((values.json ? JSON.stringify(a) : `${a.lastSeen} ${a.severity.padEnd(8)} ${a.rule} ${a.workload.id} ×${a.count} ${a.summary}`) + '\n');
      }
    }
  } finally {
    client.close();
  }
}
