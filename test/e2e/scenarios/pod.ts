// A pod for the scenario suite: a Kubernetes-style cgroup (test/support/cgroup.ts) plus
// its own private mount namespace, held open by a pause process outside the cgroup, as
// the kubelet's pause container holds a pod's namespaces. Inside it, tmpfs covers /tmp,
// /run, /dev/shm, /var/log, /etc/cron.d and /usr/local/sbin, and a service-account token
// is planted where Kubernetes mounts it: attacks can write to /etc and binary
// directories, and read the token, without touching the host.
//
// Every process enters the pod the way a container runtime starts one: nsenter joins the
// mount namespace and a shell moves itself into the cgroup before exec'ing the program,
// so nothing of the set-up (unshare, mount, setns) happens inside the cgroup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createTestContainer, type TestContainer } from '../../support/cgroup.ts';
import { waitFor } from '../../support/env.ts';

export const POD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const TOKEN_DIR = '/run/secrets/kubernetes.io/serviceaccount';
const TMPFS = ['/tmp', '/run', '/dev/shm', '/var/log', '/etc/cron.d', '/usr/local/sbin'];

export interface Pod {
  /** the workload (role) it runs: web, db, … */
  role: string;
  /** the pod's name, as the API lists it (set once it is listed) */
  name: string;
  cgroup: TestContainer;
  /** the workload id the agent gives it (namespace/Kind/name, from the emulated API) */
  workloadId: string;
  /** shell commands every process of the pod runs once inside, before its program (e.g. its audit loginuid) */
  prelude: string;
  /** the pod's address: a loopback address of its own (pods share the host's network here) */
  ip: string;
  /** start a program inside the pod (cgroup + mount namespace) */
  spawn(cmd: string, args: string[], env?: Record<string, string>): ChildProcess;
  /**
   * write a file in the pod's file system from outside it (the mount namespace only, not
   * the cgroup: as the kubelet updates a mounted ConfigMap, no process of the pod does it)
   */
  writeFile(path: string, content: string): Promise<void>;
  /** run a shell script inside the pod and wait for it */
  run(script: string, o?: { timeoutMs?: number; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

const procsOf = (c: TestContainer): string => `${c.abs}/cgroup.procs`;

/** the suite's pods live in the burstable QoS slice, which no other test uses: the agent watches only it */
export const POD_SLICE = '/kubepods.slice/kubepods-burstable.slice';

export async function createPod(role: string, name: string, workloadId: string, ip: string): Promise<Pod> {
  const cgroup = createTestContainer({ qos: 'burstable' });
  const token = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(48).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  const setup = [
    ...TMPFS.map((d) => `mount -t tmpfs -o mode=1777 tmpfs ${d}`),
    `mkdir -p ${TOKEN_DIR} /var/log/app`,
    `printf %s '${token}' > ${TOKEN_DIR}/token`,
    `printf %s '${role}' > ${TOKEN_DIR}/namespace`,
    'echo ready',
    'exec sleep infinity',
  ].join(' && ');
  // the pause process: outside the cgroup, it only holds the mount namespace
  const pause = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', setup], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  pause.stdout!.on('data', (d) => (out += d));
  pause.stderr!.on('data', (d) => (out += d));
  await waitFor(() => {
    if (pause.exitCode !== null) throw new Error(`pod ${name}: set-up failed: ${out}`);
    return out.includes('ready');
  }, { timeoutMs: 20_000, what: `pod ${name} set-up` });
  const pid = pause.pid!;
  const enter = (cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess =>
    spawn('nsenter', ['-t', String(pid), '-m', '--', '/bin/sh', '-c', `echo $$ > '${procsOf(cgroup)}' && ${p.prelude || 'true'} && exec "$@"`, 'pod', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: POD_PATH, HOME: '/tmp', LANG: 'C.UTF-8', ...env },
    });
  const p: Pod = {
    role,
    prelude: '',
    ip,
    name,
    cgroup,
    workloadId,
    spawn: enter,
    writeFile(path, content) {
      return new Promise((resolve, reject) => {
        const child = spawn('nsenter', ['-t', String(pid), '-m', '--', '/bin/sh', '-c', 'cat > "$1"', 'write', path], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pod ${name}: writing ${path} failed: ${err}`))));
        child.stdin!.end(content);
      });
    },
    run(script, o = {}) {
      return new Promise((resolve, reject) => {
        const child = enter('/bin/sh', ['-c', script], o.env);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`pod ${name}: script timed out: ${script.slice(0, 200)}`));
        }, o.timeoutMs ?? 30_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(t);
          resolve({ code, stdout, stderr });
        });
      });
    },
    async remove() {
      await cgroup.remove();
      pause.kill('SIGKILL');
    },
  };
  return p;
}
