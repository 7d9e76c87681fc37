// Creates Kubernetes-style cgroups under the cgroup v2 mount for live tests, runs
// processes inside them, and removes everything it made. Touches no other cgroup.
import { mkdirSync, rmdirSync, existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sleep } from '../../collector/sleep.ts';

export const CGROUP2_ROOT = process.env.HABITWATCH_CGROUP2_ROOT ?? '/sys/fs/cgroup/unified';

export interface TestContainer {
  /** path relative to the cgroup v2 root, leading slash */
  path: string;
  abs: string;
  containerId: string;
  podUid: string;
  /** kernel cgroup id (inode number of the directory) as bpftrace reports it */
  cgroupId: string;
  /** spawn a command whose process starts inside this cgroup */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** run a shell script inside the cgroup and wait for it to exit */
  run(script: string, opts?: { timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** run a program inside the cgroup and wait for it to exit (killed after timeoutMs) */
  exec(file: string, args: string[], opts?: { timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

export function cgroup2Available(): boolean {
  try {
    return existsSync(join(CGROUP2_ROOT, 'cgroup.procs'));
  } catch {
    return false;
  }
}

/**
 * kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope;
 * `qos` besteffort (default) or burstable (a suite can filter on its own QoS slice)
 */
export function createTestContainer(o: { qos?: 'besteffort' | 'burstable' } = {}): TestContainer {
  const podUid = randomUUID();
  const containerId = randomBytes(32).toString('hex');
  const qos = o.qos ?? 'besteffort';
  const podSeg = `kubepods-${qos}-pod${podUid.replaceAll('-', '_')}.slice`;
  const rel = ['kubepods.slice', `kubepods-${qos}.slice`, podSeg, `cri-containerd-${containerId}.scope`];
  let cur = CGROUP2_ROOT;
  const made: string[] = [];
  for (const seg of rel) {
    cur = join(cur, seg);
    if (!existsSync(cur)) {
      mkdirSync(cur);
      made.push(cur);
    }
  }
  const abs = cur;
  const path = '/' + rel.join('/');
  const cgroupId = String(statSync(abs).ino);
  const procsFile = join(abs, 'cgroup.procs');

  const spawnIn = (cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess =>
    // the shell moves itself into the cgroup, then execs the command: every
    // descendant starts inside the test cgroup
    spawn('/bin/sh', ['-c', `echo $$ > '${procsFile}' && exec "$@"`, 'hw-test', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });

  const exec = (file: string, args: string[], timeoutMs: number, timeoutMessage: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawnIn(file, args);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d) => (stdout += d));
      child.stderr?.on('data', (d) => (stderr += d));
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(timeoutMessage));
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
    });
  return {
    path,
    abs,
    containerId,
    podUid,
    cgroupId,
    spawn: spawnIn,
    run(script, opts = {}) {
      return exec('/bin/sh', ['-c', script], opts.timeoutMs ?? 20000, `script timed out: ${script}`);
    },
    exec(file, args, opts = {}) {
      return exec(file, args, opts.timeoutMs ?? 20000, `${file} timed out`);
    },
    async remove() {
      // kill anything left inside, then remove the directories we created (deepest first)
      for (let i = 0; i < 100; i++) {
        let pids: string[] = [];
        try {
          pids = readFileSync(procsFile, 'utf8').split('\n').filter(Boolean);
        } catch {
          break;
        }
        if (pids.length === 0) break;
        for (const p of pids) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        await sleep(20);
      }
      for (const dir of made.reverse()) {
        for (let i = 0; i < 50; i++) {
          try {
            // only remove if no child cgroups of someone else remain
            if (readdirSync(dir).some((e) => !e.includes('.') && existsSync(join(dir, e, 'cgroup.procs')))) break;
            rmdirSync(dir);
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
            await sleep(20);
          }
        }
      }
    },
  };
}
