// Real Prometheus / Alertmanager processes on loopback for the e2e tests: temp data
// dirs, a free port, readiness by polling, and killed (by pid) afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/env.ts';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const have = (bin: string): boolean => existsSync(bin);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface ServerProcess {
  url: string;
  dir: string;
  logs: string[];
  stop(): Promise<void>;
}

async function run(bin: string, args: (dir: string, port: number) => string[], files: Record<string, string>, readyPath: string): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'hw-srv-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = await freePort();
  const logs: string[] = [];
  const proc: ChildProcess = spawn(bin, args(dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (c: Buffer) => logs.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`${bin} exited: ${logs.join('').slice(-2000)}`);
        return (await fetch(url + readyPath)).ok;
      },
      { timeoutMs: 30000, intervalMs: 100, what: `${bin} ready` },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dir, logs, stop };
}

export function startAlertmanager(): Promise<ServerProcess> {
  const config = `route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n`;
  return run(
    ALERTMANAGER,
    (dir, port) => [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { 'am.yml': config },
    '/-/ready',
  );
}

export function startPrometheus(config: string, extraFiles: Record<string, string> = {}): Promise<ServerProcess> {
  return run(
    PROMETHEUS,
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { 'prometheus.yml': config, ...extraFiles },
    '/-/ready',
  );
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(url: string, expr: string): Promise<PromResult[]> {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const j = (await r.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (j.status !== 'success') throw new Error(`query failed: ${expr}: ${j.error}`);
  return j.data!.result;
}
