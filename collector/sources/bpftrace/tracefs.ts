// bpftrace resolves tracepoints through tracefs; on minimal hosts neither tracefs nor
// debugfs is mounted. Mount them when missing (needs root) and report what was done.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MountSpec {
  fstype: 'tracefs' | 'debugfs';
  target: string;
}

export const TRACE_MOUNTS: MountSpec[] = [
  { fstype: 'tracefs', target: '/sys/kernel/tracing' },
  { fstype: 'debugfs', target: '/sys/kernel/debug' },
];

/** mount points of the given fs types, from /proc/self/mounts text */
export function mountedTargets(mountsText: string, fstype: string): string[] {
  const out: string[] = [];
  for (const line of mountsText.split('\n')) {
    const f = line.split(' ');
    if (f.length >= 3 && f[2] === fstype) out.push(f[1]);
  }
  return out;
}

export function tracefsReady(tracefs = '/sys/kernel/tracing'): boolean {
  return existsSync(`${tracefs}/events/syscalls`) || existsSync(`${tracefs}/events/sched`);
}

/** mounts tracefs/debugfs where missing; returns what it mounted and what failed */
export async function ensureTraceMounts(
  specs: MountSpec[] = TRACE_MOUNTS,
): Promise<{ mounted: string[]; failed: { target: string; error: string }[] }> {
  const mounted: string[] = [];
  const failed: { target: string; error: string }[] = [];
  let mounts = '';
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    /* no /proc: try to mount anyway */
  }
  for (const s of specs) {
    if (mountedTargets(mounts, s.fstype).includes(s.target)) continue;
    // debugfs carries tracing at debug/tracing, which is enough for bpftrace too
    if (s.fstype === 'tracefs' && mountedTargets(mounts, 'tracefs').length > 0) continue;
    if (!existsSync(s.target)) continue;
    try {
      await run('mount', ['-t', s.fstype, s.fstype, s.target], { timeout: 10000 });
      mounted.push(s.target);
    } catch (e) {
      failed.push({ target: s.target, error: (e as Error).message.split('\n')[0] });
    }
  }
  return { mounted, failed };
}
