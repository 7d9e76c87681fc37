// `npm run scenarios -- [--source bpftrace|auditd] [--benign 30m] [--min-learning 3m]
// [--quiet 2m] [--attacks id,id] [--json]`: the live scenario suite (root, bpftrace or
// auditd, a cgroup v2 mount, python3 and PostgreSQL from Debian). Run it under the
// kernel lock. Progress on stderr; the scoring table on stdout, and with --json one
// JSON object on the last line. The short version runs in `npm test`
// (test/e2e/scenarios.test.ts).
import { parseDuration } from '../../../agent/config/duration.ts';
import { runSuite } from './suite.ts';
import { score, summaryJson, table } from './score.ts';
import { bpftraceSetup } from './sources.ts';
import { auditdSetup } from './auditd.ts';
import { parseScenarioArgs } from './cli.ts';

const o = parseScenarioArgs(process.argv.slice(2));
const started = Date.now();
const log = (m: string): void => void process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${m}\n`);
const result = await runSuite({
  source: o.source === 'auditd' ? auditdSetup : bpftraceSetup,
  minLearning: o.minLearning,
  quietPeriod: o.quietPeriod,
  benignMs: o.benignMs,
  stableTimeoutMs: parseDuration(o.minLearning) + 4 * parseDuration(o.quietPeriod) + 120_000,
  ...(o.attacks ? { attacks: o.attacks } : {}),
  batchEveryMs: 15_000,
  log,
});
const s = score(result);
process.stdout.write(table(s) + '\n');
if (o.json) process.stdout.write(summaryJson(s) + '\n');
