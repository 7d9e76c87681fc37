// A private auditd for live tests (own config dir, log in a temp dir, no plugins) and
// the shipped rules narrowed to one login uid and re-keyed, so only the test's processes
// are audited and exactly its rules are removed afterwards. Audit rules are
// kernel-global and only one auditd can own the audit socket: run under the kernel lock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, waitFor } from './env.ts';

export function auditctl(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('auditctl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `auditctl -s` as a map, or the error text */
export function auditStatus(): Record<string, string> | string {
  const r = auditctl('-s');
  if (!r.ok) return r.out.trim();
  const out: Record<string, string> = {};
  for (const line of r.out.split('\n')) {
    const [k, v] = line.trim().split(/\s+/, 2);
    if (k) out[k] = v ?? '';
  }
  return out;
}

export const auditdInstalled = (): boolean => spawnSync('sh', ['-c', 'command -v auditd && command -v auditctl']).status === 0;

/** the shipped x86_64 rules, narrowed to one login uid and keyed `key` */
export function narrowedRules(auid: number, key: string): string {
  const shipped = readFileSync(join(REPO, 'collector/sources/auditd/habitwatch.rules'), 'utf8');
  return shipped
    .split('\n')
    .filter((l) => l.startsWith('-a '))
    .map((l) => l.replace(/-k \S+/, `-F auid=${auid} -k ${key}`))
    .join('\n');
}

export interface PrivateAuditd {
  /** the log the source follows (the running system auditd's when one owns the socket) */
  logFile: string;
  stop(): Promise<void>;
}

/** start a private auditd writing into dir, or follow the log of one already running */
export async function startPrivateAuditd(dir: string): Promise<PrivateAuditd> {
  const status = auditStatus();
  if (typeof status === 'string') throw new Error(`kernel audit subsystem unavailable: ${status}`);
  const owner = Number(status.pid ?? '0');
  if (owner > 0 && existsSync(`/proc/${owner}`)) {
    const conf = existsSync('/etc/audit/auditd.conf') ? readFileSync('/etc/audit/auditd.conf', 'utf8') : '';
    return { logFile: /^\s*log_file\s*=\s*(\S+)/m.exec(conf)?.[1] ?? '/var/log/audit/audit.log', stop: async () => {} };
  }
  mkdirSync(join(dir, 'plugins.d'), { recursive: true });
  const logFile = join(dir, 'audit.log');
  writeFileSync(
    join(dir, 'auditd.conf'),
    [
      `log_file = ${logFile}`,
      'log_format = ENRICHED',
      'local_events = yes',
      'write_logs = yes',
      'flush = INCREMENTAL_ASYNC',
      'freq = 1',
      'max_log_file = 200',
      'num_logs = 2',
      'max_log_file_action = ROTATE',
      'space_left = 2',
      'space_left_action = IGNORE',
      'admin_space_left = 1',
      'admin_space_left_action = IGNORE',
      'disk_full_action = IGNORE',
      'disk_error_action = IGNORE',
      'name_format = NONE',
      `plugin_dir = ${join(dir, 'plugins.d')}`,
      'q_depth = 8000',
      'overflow_action = IGNORE',
      'end_of_event_timeout = 2',
      '',
    ].join('\n'),
  );
  const daemon: ChildProcess = spawn('auditd', ['-n', '-c', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  daemon.stdout?.on('data', (d) => (log += d));
  daemon.stderr?.on('data', (d) => (log += d));
  await waitFor(
    () => {
      if (daemon.exitCode !== null) throw new Error(`auditd exited (${daemon.exitCode}): ${log}`);
      const s = auditStatus();
      return typeof s !== 'string' && s.pid === String(daemon.pid) && existsSync(logFile);
    },
    { timeoutMs: 10_000, what: 'private auditd registered with the kernel' },
  );
  return {
    logFile,
    async stop() {
      if (daemon.exitCode !== null) return;
      daemon.kill('SIGTERM');
      await waitFor(() => daemon.exitCode !== null || daemon.signalCode !== null, { timeoutMs: 10_000, what: 'auditd exit' });
    },
  };
}
