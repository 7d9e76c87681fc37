// Attribution of a host source's events (bpftrace, auditd, procfs): the one place where
// an event gets its process and lineage. The kernel event carries what it can — pid,
// ppid, cgroup id, the exe and argv of an exec — and this step fills the rest:
//   - cgroup id → path (bpftrace), else pid → /proc/PID/cgroup (auditd and other
//     pid-only sources), and the container from a v1 path on hybrid hosts;
//   - exec events feed the process cache (so a short-lived process is known from its
//     own exec when /proc is gone); other events take exe, argv and ppid from it;
//   - process.ancestors from the cache (chains shared between events).
// It owns its caches: one ProcessCache and one CgroupIdMap per step, i.e. per agent.
// Sources do not attribute: a source that must know paths itself (bpftrace's cgroup
// prefix filter) resolves them once and sets cgroup.path, which this step then keeps.
// /proc is read only on a cache miss, when the event lacks what is needed.
import type { RuntimeEvent } from '../event.ts';
import type { EnrichStep } from './index.ts';
import { CgroupIdMap } from './cgroupid.ts';
import { containerFromProcCgroup } from './proc-cgroup.ts';
import { ProcessCache } from './procs.ts';

export interface AttributionOptions {
  processes?: ProcessCache;
  cgroupIds?: CgroupIdMap;
}

export function createProcfsAttribution(opts: AttributionOptions = {}): EnrichStep {
  const procs = opts.processes ?? new ProcessCache();
  // made on first need: scanning the cgroup tree is the expensive part
  let ids = opts.cgroupIds;
  return {
    name: 'procfs-attribution',
    enrich(ev: RuntimeEvent) {
      const p = ev.process;
      if (ev.cgroup?.id && ev.cgroup.path === undefined) {
        const path = (ids ??= new CgroupIdMap()).lookup(ev.cgroup.id, p.pid);
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
      if (p.pid <= 0) return;
      if (ev.kind === 'exec') {
        // the parent as it was at the exec: not an earlier process that had its pid, nor
        // what it became since (procs.ts parentAtExec)
        const a = procs.recordExecEvent(ev);
        if (p.ancestors === undefined && a.length > 0) p.ancestors = a;
      } else if (p.exe === '' || p.args.length === 0) {
        // a record of a running process carries its comm at most: exe and argv from its exec
        const e = procs.current(p.pid, ev.time);
        if (e) {
          if (e.exe) p.exe = e.exe;
          if (p.args.length === 0) p.args = e.args;
          if (p.ppid === undefined && e.ppid !== undefined) p.ppid = e.ppid;
        }
      }
      if (p.ancestors === undefined) {
        const a = procs.ancestors(p.pid, p.ppid);
        if (a.length > 0) p.ancestors = a;
      }
    },
  };
}
