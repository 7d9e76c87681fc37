// `habitwatch audit [--since T] [--until T] [--actor A] [--action A] [--workload ID] [--limit N] [--all]`:
// every change made to baselines and alerts — who, how they authenticated, from where.
import { parseArgs } from 'node:util';
import type { AuditEntry } from '../store/audit.ts';
import { connect } from './client.ts';
import { EXIT } from './errors.ts';
import { Output } from './output.ts';
import { CONNECTION_HELP, commonOptionSpec, noExtra, pages, query } from './args.ts';

const HELP = `usage: habitwatch audit [--since TIME] [--until TIME] [--actor NAME] [--action A] [--workload ID] [--limit N] [--all]
  every change (approve, forbid, unforbid, remove, relearn, lock, unlock, import, alert status), newest first
${CONNECTION_HELP}`;

export async function auditCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...commonOptionSpec,
    since: { type: 'string' },
    until: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    workload: { type: 'string' },
    limit: { type: 'string' },
    all: { type: 'boolean' },
  } });
  if (values.help) {
    out.write(HELP + '\n');
    return EXIT.ok;
  }
  noExtra(positionals, HELP);
  const o = new Output(out, values);
  const q = query(values, { since: 'since', until: 'until', actor: 'actor', action: 'action', workload: 'workload', limit: 'limit' });
  const client = await connect(values);
  try {
    const entries = await pages<AuditEntry>(client.get, '/v1/audit', 'entries', q, values.all);
    o.emitList(entries, () =>
      entries.length === 0
        ? 'no changes recorded'
        : o.table(
            ['TIME', 'ACTOR', 'VIA', 'FROM', 'ACTION', 'WORKLOAD', 'DETAIL'],
            entries.map((e) => [e.time, e.actor, e.via ?? '', e.remote ?? '', e.action, e.baseline ?? e.workload ?? '', JSON.stringify(e.detail)]),
            90,
          ),
    );
    return EXIT.ok;
  } finally {
    client.close();
  }
}
