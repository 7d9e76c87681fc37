// The short version of the suite that runs in `npm test`: tiny learning thresholds, a
// short benign phase, every workload, attack action and benign change. What is ever
// left out, and why, is recorded here and in docs/detection.md (a known limitation, not
// a tolerance): the full suite (`npm run scenarios`) runs everything.
import type { SuiteOptions } from './suite.ts';
import type { Role } from './workloads.ts';

export const SHORT = {
  // PostgreSQL checkpoints every 30 s (programs/db.sh): learning sees at least one
  minLearning: '45s',
  quietPeriod: '15s',
  benignMs: 45_000,
  stableTimeoutMs: 180_000,
  batchEveryMs: 10_000,
  roles: ['web', 'web-client', 'db', 'db-client', 'batch', 'worker', 'forker'] as Role[],
  // every benign change: PostgreSQL's restart too, since relative paths of processes gone
  // before their record is read resolve through the working directory the kernel reported
  // (collector/sources/bpftrace/cwd.ts; before, its shutdown's statistics file alerted)
  benign: ['more-traffic', 'restart-web', 'restart-worker', 'new-replica', 'restart-db', 'image-upgrade'],
} satisfies Omit<SuiteOptions, 'source' | 'log'>;
