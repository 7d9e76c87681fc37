// The last step of enrichment: every event leaves with a workload identity. Without a
// container from its source (Tetragon and Falco name one), the container comes from the
// cgroup path; without a workload from an earlier step (Kubernetes), the standalone
// identity of workload.ts. Both depend on the path alone, and a node's events come from
// a few hundred paths at most: they are worked out once per path and the objects shared
// by that path's events (read-only, as collector/event.ts says of container and
// workload), instead of two regexes, a split and a new object per event. The memo
// belongs to one enricher and is bounded.
import type { ContainerRef, RuntimeEvent, WorkloadRef } from '../event.ts';
import { containerFromCgroupPath } from './cgroup.ts';
import { standaloneWorkload } from './workload.ts';

interface PathIdentity {
  container: ContainerRef | undefined;
  workload: WorkloadRef;
  /** the node the workload was made for (a host workload is named after it) */
  node: string;
}

/** container identity from a cgroup path, a fresh object (undefined: not a container's path) */
export function containerOfPath(path: string): ContainerRef | undefined {
  const c = containerFromCgroupPath(path);
  return c ? { id: c.id, runtime: c.runtime } : undefined;
}

export class IdentityStep {
  readonly name = 'identity';
  private byPath = new Map<string, PathIdentity>();

  constructor(private readonly max = 4096) {}

  enrich(ev: RuntimeEvent): void {
    const path = ev.cgroup?.path;
    if (ev.container !== undefined || path === undefined || path === '') {
      // the source named the container (or there is no path): nothing to share
      if (ev.workload === undefined) ev.workload = standaloneWorkload(ev);
      return;
    }
    let id = this.byPath.get(path);
    if (id === undefined || id.node !== ev.node) {
      const container = containerOfPath(path);
      const probe = { ...ev, container, workload: undefined } as RuntimeEvent;
      id = { container, workload: standaloneWorkload(probe), node: ev.node };
      if (this.byPath.size >= this.max) this.byPath = new Map();
      this.byPath.set(path, id);
    }
    if (id.container !== undefined) ev.container = id.container;
    if (ev.workload === undefined) ev.workload = id.workload;
  }
}
