// The suite's workloads: real programs, each in its own pod (pod.ts), doing steady work
// on loopback. Each has a role (the workload it belongs to) and a start function; the
// benign changes (benign.ts) restart, scale and reconfigure them.
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import type { Pod } from './pod.ts';
import { waitFor } from '../../support/env.ts';

export const PROGRAMS = join(dirname(fileURLToPath(import.meta.url)), 'programs');
const prog = (f: string): string => join(PROGRAMS, f);

/** a free loopback port (listen on 0, read it, close) */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Running {
  pod: Pod;
  /** the pod's main process (absent for the batch pod, whose runs come and go) */
  main?: ChildProcess;
  /** stop the main process (a restart starts it again) */
  stop(): Promise<void>;
}

export interface Ports {
  /** the web service's and PostgreSQL's ports (on each pod's own address) */
  web: number;
  db: number;
}

/** where the services run now: clients are pointed at them (as endpoints are) */
export interface Endpoints {
  web: string[];
  db: string;
}

export type Role = 'web' | 'web-client' | 'db' | 'db-client' | 'batch' | 'worker' | 'forker';

/** the workloads judged by the suite (clients are workloads too: their false positives count) */
export const ROLES: readonly Role[] = ['web', 'web-client', 'db', 'db-client', 'batch', 'worker', 'forker'];

function keep(pod: Pod, main: ChildProcess): Running {
  let out = '';
  main.stdout?.on('data', (d) => (out = (out + d).slice(-4000)));
  main.stderr?.on('data', (d) => (out = (out + d).slice(-4000)));
  return {
    pod,
    main,
    async stop() {
      if (main.exitCode !== null || main.signalCode !== null) return;
      main.kill('SIGTERM');
      await waitFor(() => main.exitCode !== null || main.signalCode !== null, { timeoutMs: 10_000, what: `${pod.name} stop` }).catch(() => main.kill('SIGKILL'));
    },
  };
}

/** start the main program of a pod of this role; a client finds its servers in `ep` */
export function startMain(pod: Pod, role: Role, ports: Ports, ep: Endpoints): Running {
  switch (role) {
    case 'web':
      return keep(pod, pod.spawn('/usr/bin/python3', [prog('web.py'), pod.ip, String(ports.web)]));
    case 'web-client':
      return keep(pod, pod.spawn('/bin/bash', [prog('web-client.sh')]));
    case 'db':
      return keep(pod, pod.spawn('/bin/bash', [prog('db.sh'), pod.ip, String(ports.db)]));
    case 'db-client':
      return keep(pod, pod.spawn('/bin/bash', [prog('db-client.sh'), ep.db, String(ports.db)]));
    case 'worker':
      return keep(pod, pod.spawn('/bin/bash', [prog('worker.sh')]));
    case 'forker':
      return keep(pod, pod.spawn('/usr/bin/python3', [prog('forker.py')]));
    case 'batch':
      throw new Error('the batch job has no main program: each run is a pod of its own (batchRun)');
  }
}

/** the web client's targets, written into its pod from outside (as a ConfigMap or DNS would change) */
export async function pointClient(pod: Pod, ports: Ports, ep: Endpoints): Promise<void> {
  await pod.writeFile('/tmp/targets', ep.web.map((ip) => `${ip}:${ports.web}`).join(' ') + '\n');
}

/** one run of the batch job: a new process tree in its pod */
export async function batchRun(pod: Pod): Promise<void> {
  const r = await pod.run(`exec /bin/bash ${prog('batch-job.sh')}`, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`batch run failed (${r.code}): ${r.stderr.slice(0, 400)}`);
}

/** wait until something accepts connections on a loopback port */
export async function listening(host: string, port: number, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const c = connect(port, host, () => {
          c.destroy();
          resolve(true);
        });
        c.once('error', () => resolve(false));
      }),
    { timeoutMs, intervalMs: 200, what },
  );
}
