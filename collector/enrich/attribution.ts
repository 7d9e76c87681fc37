// procfsAttribution: the enrichment step that attributes an event to its cgroup and
// its process lineage — cgroup id → path (bpftrace), pid → /proc/PID/cgroup (auditd and
// other pid-only sources), the container from v1 paths on hybrid hosts, and
// process.ancestors from the process cache. Exec events feed the cache on the way, so
// a short-lived process is resolved from its own exec event when /proc is gone.
import type { RuntimeEvent } from '../event.ts';
import type { EnrichStep } from './index.ts';
import { CgroupIdMap } from './cgroupid.ts';
import { containerFromProcCgroup } from './proc-cgroup.ts';
import { defaultProcessCache, type ProcessCache } from './procs.ts';

export interface AttributionOptions {
  processes?: ProcessCache;
  cgroupIds?: CgroupIdMap;
}

let sharedIds: CgroupIdMap | undefined;
/** one id map per process: scanning the cgroup tree is the expensive part */
export function sharedCgroupIdMap(): CgroupIdMap {
  return (sharedIds ??= new CgroupIdMap());
}

export function createProcfsAttribution(opts: AttributionOptions = {}): EnrichStep {
  const procs = opts.processes ?? defaultProcessCache;
  let ids = opts.cgroupIds;
  return {
    name: 'procfs-attribution',
    enrich(ev: RuntimeEvent) {
      const p = ev.process;
      if (ev.cgroup?.id && ev.cgroup.path === undefined) {
        const path = (ids ??= sharedCgroupIdMap()).lookup(ev.cgroup.id, p.pid);
        if (path !== undefined) ev.cgroup.path = path;
      }
      // before recording an exec: its cgroup is the one /proc shows for the pid (exec
      // does not change cgroups), and the record must keep that for later events
      if (ev.cgroup?.path === undefined && p.pid > 0) {
        const e = procs.get(p.pid);
        if (e?.cgroupPath !== undefined) ev.cgroup = { ...ev.cgroup, path: e.cgroupPath };
        // hybrid/v1 hosts: the container may only show in a v1 hierarchy
        if (!ev.container && e?.cgroupText) {
          const c = containerFromProcCgroup(e.cgroupText);
          if (c) ev.container = { id: c.id, runtime: c.runtime };
        }
      }
      if (ev.kind === 'exec' && p.pid > 0 && procs.peek(p.pid)?.exe !== p.exe) procs.recordExecEvent(ev);
      if (p.pid > 0 && (p.exe === '' || p.args.length === 0)) {
        const e = procs.get(p.pid);
        if (e) {
          if (e.exe) p.exe = e.exe;
          if (p.args.length === 0) p.args = e.args;
          if (p.ppid === undefined && e.ppid !== undefined) p.ppid = e.ppid;
        }
      }
      if (p.ancestors === undefined && p.pid > 0) {
        const a = procs.ancestors(p.pid, p.ppid);
        if (a.length > 0) p.ancestors = a;
      }
    },
  };
}

/** the step the agent wires in: shared process cache and cgroup id map */
export const procfsAttribution: EnrichStep = createProcfsAttribution();
