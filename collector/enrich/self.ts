// The agent's own processes. The agent does not judge itself: its events are neither
// learned nor alerted on nor streamed — an agent that alerts on its own bpftrace, its
// own API socket or an operator's `habitwatch alerts` only teaches people to ignore it.
// "Own" is decided from kernel facts, never from names an attacker can choose:
// - the agent's pid in the event's lineage (itself, bpftrace and anything else it
//   starts), for host sources, whose pids are the agent's pid namespace;
// - the agent's cgroup, when only the agent's process tree lived in it at start (a
//   container or a systemd service of its own) — so per-cgroup syscall sets and a
//   `kubectl exec … habitwatch alerts` in the agent's container stay out too. A shared
//   cgroup (a login session, the root cgroup) is not excluded, only the lineage is;
// - the agent's pod (POD_NAMESPACE/POD_NAME from the downward API), for events that
//   name pods (Tetragon, Falco);
// - the exec of its own CLI script, by the file executed (own-cli.ts): an operator's
//   `npx habitwatch alerts` from a clone under /tmp is not "a binary run from /tmp".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeEvent } from '../event.ts';
import { findCgroup2Root } from './cgroupid.ts';
import { parseProcCgroup } from './proc-cgroup.ts';
import { ownCliExec } from './own-cli.ts';

export interface SelfIdentity {
  /** the agent's pid, when the sources report pids of its pid namespace */
  pid?: number;
  /** the agent's cgroup v2 path, when that cgroup is the agent's alone */
  cgroupPath?: string;
  /** the agent's pod */
  pod?: { namespace: string; name: string };
  /** true for the exec of the agent's own CLI script (own-cli.ts) */
  cliExec?: (p: RuntimeEvent['process']) => boolean;
}

export function isOwnEvent(ev: RuntimeEvent, self: SelfIdentity): boolean {
  const p = ev.process;
  if (self.pid !== undefined && p.pid > 0) {
    if (p.pid === self.pid || p.ppid === self.pid) return true;
    const a = p.ancestors;
    if (a !== undefined) for (let i = 0; i < a.length; i++) if (a[i].pid === self.pid) return true;
  }
  if (self.cgroupPath !== undefined && ev.cgroup?.path === self.cgroupPath) return true;
  if (ev.kind === 'exec' && self.cliExec?.(p)) return true;
  if (self.pod !== undefined) {
    const w = ev.workload;
    if (w !== undefined && w.pod === self.pod.name && w.namespace === self.pod.namespace) return true;
  }
  return false;
}

export interface DiscoverOptions {
  pid: number;
  env: Record<string, string | undefined>;
  /** the sources report this host's pids and cgroups (bpftrace, auditd, procfs) */
  hostSources: boolean;
  procRoot?: string;
  /** cgroup v2 mount point; found from mountinfo when omitted */
  cgroupRoot?: string;
  /** directories looked at when searching the cgroup tree for the agent's pid */
  maxCgroups?: number;
  /** the agent's CLI scripts (bin/habitwatch.js …), for host sources */
  cliScripts?: string[];
}

/** What makes an event the agent's own, looked up once at start. */
export function discoverSelf(o: DiscoverOptions): SelfIdentity {
  const out: SelfIdentity = {};
  const ns = o.env.POD_NAMESPACE;
  const name = o.env.POD_NAME;
  if (ns && name) out.pod = { namespace: ns, name };
  if (!o.hostSources) return out;
  out.pid = o.pid;
  const proc = o.procRoot ?? '/proc';
  if (o.cliScripts !== undefined && o.cliScripts.length > 0) out.cliExec = ownCliExec(o.cliScripts, proc);
  const root = o.cgroupRoot ?? findCgroup2Root();
  if (root === undefined) return out;
  const path = ownCgroup(o.pid, proc, root, o.maxCgroups ?? 100_000);
  if (path !== undefined && path !== '/' && onlyOwnTree(o.pid, readPids(join(root, path)) ?? [], proc)) out.cgroupPath = path;
  return out;
}

function readPids(dir: string): number[] | undefined {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * The agent's cgroup as the cgroup mount names it. /proc/self/cgroup is relative to the
 * agent's cgroup namespace (a container sees "/"), while events are attributed through
 * the mount (the host's tree in a DaemonSet): check the path there, else search the tree.
 */
function ownCgroup(pid: number, proc: string, root: string, max: number): string | undefined {
  let claimed: string | undefined;
  try {
    claimed = parseProcCgroup(readFileSync(join(proc, String(pid), 'cgroup'), 'utf8')).unified;
  } catch {
    /* no procfs: search */
  }
  if (claimed !== undefined && readPids(join(root, claimed))?.includes(pid)) return claimed;
  const queue = ['/'];
  for (let seen = 0; queue.length > 0 && seen < max; seen++) {
    const rel = queue.shift()!;
    const dir = join(root, rel);
    if (readPids(dir)?.includes(pid)) return rel;
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) queue.push(join(rel, e.name));
    } catch {
      /* gone or unreadable */
    }
  }
  return undefined;
}

/** every pid is the agent or descends from it (parents followed through procfs) */
function onlyOwnTree(self: number, pids: number[], proc: string): boolean {
  if (pids.length === 0) return false;
  for (const pid of pids) {
    let p = pid;
    for (let depth = 0; p !== self; depth++) {
      if (p <= 1 || depth > 64) return false;
      let status: string;
      try {
        status = readFileSync(join(proc, String(p), 'status'), 'utf8');
      } catch {
        return false;
      }
      const m = /^PPid:\s+(\d+)/m.exec(status);
      if (!m) return false;
      p = Number(m[1]);
    }
  }
  return true;
}
