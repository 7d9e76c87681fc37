// Benign changes a workload sees every day, applied during the benign phase: none may
// alert. Rotation beyond what was seen, new temp and hash names and the CronJob's next
// run happen by themselves (the worker keeps rotating, the forker keeps naming, the
// batch job keeps running); these are the ones the suite makes happen.
import type { Pod } from './pod.ts';
import type { Role } from './workloads.ts';

export interface BenignContext {
  /** the pod running a role's main program */
  pod(role: Role): Pod;
  /** stop a pod's main program and start it again (same pod: a container restart) */
  restart(role: Role): Promise<void>;
  /** start the web service's second replica (its own pod, the same Deployment) */
  startReplica(): Promise<void>;
  /** roll a Deployment out with a new image tag (a new digest): a new pod replaces the old */
  upgrade(role: Role, tag: string): Promise<void>;
}

export interface BenignChange {
  id: string;
  what: string;
  /** the workloads it needs */
  roles: readonly Role[];
  apply(c: BenignContext): Promise<void>;
}

export const BENIGN: readonly BenignChange[] = [
  {
    id: 'more-traffic',
    what: 'three times the web traffic',
    roles: ['web', 'web-client'],
    // a configuration change, as a ConfigMap update: written from outside the pod
    apply: (c) => c.pod('web-client').writeFile('/tmp/rate', '3\n'),
  },
  {
    id: 'restart-web',
    what: 'the web service restarts (a new process tree in the same pod)',
    roles: ['web'],
    apply: (c) => c.restart('web'),
  },
  {
    id: 'restart-worker',
    what: 'the worker restarts',
    roles: ['worker'],
    apply: (c) => c.restart('worker'),
  },
  {
    id: 'new-replica',
    what: 'a second replica of the web service: a new pod of the same Deployment (one baseline)',
    roles: ['web'],
    apply: (c) => c.startReplica(),
  },
  {
    id: 'restart-db',
    what: 'PostgreSQL restarts (clean shutdown, then start on its existing data)',
    roles: ['db'],
    apply: (c) => c.restart('db'),
  },
  {
    id: 'image-upgrade',
    what: 'a rollout of the load generator with a new image (a new baseline version relearns, silently)',
    roles: ['web-client'],
    apply: (c) => c.upgrade('web-client', '1.0'),
  },
];
