// Runs a program in a real OCI container with runc (or crun): a bundle with a tiny
// static rootfs (busybox-static), the runtime's default spec, and what the test sets —
// args, and a seccomp profile in linux.seccomp, as kubelet → containerd → runc does for
// a pod with `seccompProfile: {type: Localhost}`.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const BUSYBOX = '/bin/busybox';

function works(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** a runtime that can start containers on this host (crun refuses hybrid cgroup hierarchies) */
export function ociRuntime(): 'runc' | 'crun' | undefined {
  for (const rt of ['runc', 'crun'] as const) if (works(rt, ['--version'])) return rt;
  return undefined;
}

/** an ELF executable without a program interpreter (PT_INTERP): statically linked */
function isStaticElf(file: string): boolean {
  const b = readFileSync(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false; // ELF64 only
  const phoff = Number(b.readBigUInt64LE(0x20));
  const size = b.readUInt16LE(0x36);
  const n = b.readUInt16LE(0x38);
  for (let i = 0; i < n; i++) if (b.readUInt32LE(phoff + i * size) === 3) return false;
  return true;
}

/** busybox, statically linked (busybox-static), so the rootfs needs nothing else */
export function staticBusybox(): boolean {
  try {
    return works(BUSYBOX, ['true']) && isStaticElf(BUSYBOX);
  } catch {
    return false;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * run args in a fresh container (rootfs: /bin/busybox, read-only, as
 * `readOnlyRootFilesystem: true`) with an optional seccomp profile and empty tmpfs
 * mounts (what an `emptyDir` with `medium: Memory` is; a disk one behaves the same here)
 */
export async function runInContainer(rt: 'runc' | 'crun', dir: string, args: string[], seccomp?: unknown, emptyDirs: string[] = []): Promise<RunResult> {
  const bundle = join(dir, `bundle-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
  mkdirSync(join(bundle, 'rootfs', 'tmp'), { mode: 0o1777 }); // as images ship it
  copyFileSync(BUSYBOX, join(bundle, 'rootfs', 'bin', 'busybox'));
  execFileSync(rt, ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown>; root: Record<string, unknown>; linux: Record<string, unknown>; mounts: unknown[] };
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root = { path: 'rootfs', readonly: true };
  if (seccomp !== undefined) spec.linux.seccomp = seccomp;
  for (const d of emptyDirs) spec.mounts.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const id = `hw-test-${randomBytes(6).toString('hex')}`;
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(rt, ['run', '-b', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    try {
      execFileSync(rt, ['delete', '-f', id], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}
