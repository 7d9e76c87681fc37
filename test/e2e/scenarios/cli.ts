// The options of `npm run scenarios` (main.ts), parsed and checked: unknown options and
// bad durations are an error before anything starts. Pure, so the commands documented in
// docs/detection.md are checked by a test (score.test.ts).
import { parseArgs } from 'node:util';
import { parseDuration } from '../../../agent/config/duration.ts';
import { ATTACKS } from './attacks.ts';

export interface ScenarioCli {
  source: 'bpftrace' | 'auditd';
  benignMs: number;
  minLearning: string;
  quietPeriod: string;
  attacks?: string[];
  json: boolean;
}

export function parseScenarioArgs(argv: string[]): ScenarioCli {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      source: { type: 'string', default: 'bpftrace' },
      benign: { type: 'string', default: '30m' },
      'min-learning': { type: 'string', default: '3m' },
      quiet: { type: 'string', default: '2m' },
      attacks: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const source = values.source;
  if (source !== 'bpftrace' && source !== 'auditd') throw new Error(`--source: bpftrace or auditd, not ${source}`);
  const attacks = values.attacks?.split(',');
  const unknown = attacks?.filter((id) => !ATTACKS.some((a) => a.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`--attacks: unknown ${unknown.join(', ')} (known: ${ATTACKS.map((a) => a.id).join(', ')})`);
  // parseDuration throws on a bad value
  parseDuration(values['min-learning']!);
  parseDuration(values.quiet!);
  return {
    source,
    benignMs: parseDuration(values.benign!),
    minLearning: values['min-learning']!,
    quietPeriod: values.quiet!,
    ...(attacks ? { attacks } : {}),
    json: values.json!,
  };
}
