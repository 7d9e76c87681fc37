// How the suite gets the agent a kernel source: bpftrace (the default source) needs
// nothing but the agent's config; auditd (auditd.ts) needs a private daemon, audit
// rules narrowed to the suite's pods and a login uid on their processes.
import { POD_SLICE, type Pod } from './pod.ts';

export interface SourceSetup {
  name: string;
  /** how long after an action its slowest signal can arrive (syscall aggregation, log tailing) */
  settleMs: number;
  start(o: { dir: string }): Promise<StartedSource>;
}

export interface StartedSource {
  /** the agent's `sources` config */
  config: Record<string, unknown>;
  /** a new pod: whatever its processes need for the source to see them */
  enter(pod: Pod): void;
  stop(): Promise<void>;
}

export const SYSCALL_INTERVAL_S = 2;

export const bpftraceSetup: SourceSetup = {
  name: 'bpftrace',
  settleMs: SYSCALL_INTERVAL_S * 1000 + 3000,
  async start() {
    return {
      // only the suite's pods: their QoS slice is used by no other test
      config: { enabled: ['bpftrace'], bpftrace: { intervalS: SYSCALL_INTERVAL_S, cgroupPrefixes: [POD_SLICE] } },
      enter() {},
      async stop() {},
    };
  },
};
