// Enrichment: fills container and workload on each event. A chain of steps, each
// free to fill what it knows; the last step guarantees a workload identity.
import type { RuntimeEvent } from '../event.ts';
import { containerFromCgroupPath } from './cgroup.ts';
import { standaloneWorkload } from './workload.ts';

export interface EnrichStep {
  name: string;
  enrich(ev: RuntimeEvent): void;
  close?(): void;
}

export interface Enricher {
  enrich(batch: RuntimeEvent[]): void;
  close(): void;
}

/** container identity from the cgroup path, when the source gave a path but no container */
export const containerFromPath: EnrichStep = {
  name: 'container-from-cgroup',
  enrich(ev) {
    if (ev.container || !ev.cgroup?.path) return;
    const c = containerFromCgroupPath(ev.cgroup.path);
    if (!c) return;
    ev.container = { id: c.id, runtime: c.runtime };
    if (c.podUid && !ev.workload) ev.workload = undefined;
  },
};

/** final step: every event leaves enrichment with a workload identity */
export const workloadIdentity: EnrichStep = {
  name: 'workload-identity',
  enrich(ev) {
    if (!ev.workload) ev.workload = standaloneWorkload(ev);
  },
};

export function createEnricher(steps: EnrichStep[] = []): Enricher {
  const chain = [...steps, containerFromPath, workloadIdentity];
  if (steps.length === 0) {
    // nothing host-specific to add (replay, normalised input): only fill what is missing
    return {
      enrich(batch) {
        for (let i = 0; i < batch.length; i++) {
          const ev = batch[i];
          if (ev.workload !== undefined && (ev.container !== undefined || ev.cgroup?.path === undefined)) continue;
          containerFromPath.enrich(ev);
          workloadIdentity.enrich(ev);
        }
      },
      close() {},
    };
  }
  return {
    enrich(batch) {
      for (const ev of batch) for (const s of chain) s.enrich(ev);
    },
    close() {
      for (const s of chain) s.close?.();
    },
  };
}
