// /proc/PID/cgroup → cgroup path and container identity, for cgroup v1, v2 and hybrid
// hosts. v1 lines are `N:controller[,controller]:/path` (one per hierarchy, `name=systemd`
// for the named one), v2 is the single line `0::/path`.
import { containerFromCgroupPath, type ContainerIdentity } from './cgroup.ts';

export interface ProcCgroup {
  /** the cgroup v2 (unified) path, when the file has a `0::` line */
  unified?: string;
  /** cgroup v1 controller (or `name=…` hierarchy) → path */
  v1: Record<string, string>;
}

export function parseProcCgroup(text: string): ProcCgroup {
  const out: ProcCgroup = { v1: {} };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const hier = line.slice(0, a);
    const ctrls = line.slice(a + 1, b);
    const path = line.slice(b + 1); // paths may contain ':' (the cri-containerd form)
    if (!/^\d+$/.test(hier) || !path.startsWith('/')) continue;
    if (hier === '0' && ctrls === '') {
      out.unified = path;
      continue;
    }
    for (const c of ctrls.split(',')) if (c) out.v1[c] = path;
  }
  return out;
}

// controllers whose v1 path best reflects the container, in order of preference
const V1_ORDER = ['name=systemd', 'pids', 'memory', 'cpu', 'cpuacct', 'devices', 'freezer', 'blkio'];

/** all distinct paths, unified first, then v1 in order of preference */
function candidatePaths(pc: ProcCgroup): string[] {
  const out: string[] = [];
  if (pc.unified !== undefined) out.push(pc.unified);
  for (const c of V1_ORDER) if (pc.v1[c] !== undefined) out.push(pc.v1[c]);
  for (const p of Object.values(pc.v1)) out.push(p);
  return [...new Set(out)];
}

/**
 * The workload's cgroup path: the unified path when it says more than `/`, else the
 * systemd (or pids) v1 path — hybrid hosts often leave processes at `0::/`. Resource
 * controllers like memory are left out: tools park processes there on their own.
 */
export function cgroupPathFromProc(text: string): string | undefined {
  const pc = parseProcCgroup(text);
  if (pc.unified !== undefined && pc.unified !== '/') return pc.unified;
  for (const c of ['name=systemd', 'pids']) {
    const p = pc.v1[c];
    if (p !== undefined && p !== '/') return p;
  }
  return pc.unified ?? pc.v1['name=systemd'] ?? pc.v1.pids;
}

/** the first container identity found, looking at the unified path, then v1 paths */
export function containerFromProcCgroup(text: string): ContainerIdentity | undefined {
  for (const p of candidatePaths(parseProcCgroup(text))) {
    const c = containerFromCgroupPath(p);
    if (c) return c;
  }
  return undefined;
}
