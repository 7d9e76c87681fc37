// Runs the real agent (`habitwatch agent --config FILE`, from the sources) for the
// delivery end-to-end tests: writes its YAML config, finds its API port from the
// "api listening" log line, appends event lines, and kills it (SIGKILL or SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, REPO, waitFor } from '../../support/env.ts';

export const AGENT_BIN = CLI;
export const TOKEN = 'e2e-secret';

export interface AgentProcess {
  proc: ChildProcess;
  port: number;
  logs: string[];
  /** resolves with the exit code/signal */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function agentAvailable(): boolean {
  return existsSync(AGENT_BIN);
}

export function writeAgentConfig(dir: string, sinks: Record<string, unknown>[], extra: Record<string, unknown> = {}): { config: string; events: string } {
  const events = join(dir, 'events.jsonl');
  if (!existsSync(events)) writeFileSync(events, '');
  const cfg = {
    node: 'test-node',
    dataDir: dir,
    api: { listen: '127.0.0.1:0', tokens: [{ name: 'admin', token: TOKEN }] },
    sources: { enabled: ['events'], events: { paths: [events], follow: true } },
    learning: { minLearning: '0s', quietPeriod: '1s', maxItems: 5000 },
    detection: { cooldown: '10m' },
    sinks,
    ...extra,
  };
  const config = join(dir, 'habitwatch.yaml');
  writeFileSync(config, stringify(cfg));
  return { config, events };
}

export async function startAgent(config: string, o: { timeoutMs?: number } = {}): Promise<AgentProcess> {
  const proc = spawn(process.execPath, [AGENT_BIN, 'agent', '--config', config], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: string[] = [];
  let port = 0;
  let buf = '';
  proc.stderr!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      logs.push(line);
      if (process.env.HW_E2E_VERBOSE) process.stderr.write(`    [agent] ${line}\n`);
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number };
        if (j.msg === 'api listening' && typeof j.port === 'number') port = j.port;
      } catch {
        /* not JSON */
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let dead = false;
  void exited.then(() => (dead = true));
  await waitFor(
    () => {
      if (dead) throw new Error(`agent exited early:\n${logs.slice(-20).join('\n')}`);
      return port > 0;
    },
    { timeoutMs: o.timeoutMs ?? 30000, what: 'agent api port' },
  ).catch((e: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n${logs.slice(-20).join('\n')}`);
  });
  return {
    proc,
    port,
    logs,
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** an exec of a binary in /tmp: the built-in "exec from writable path" rule fires even while learning */
export function evilExec(i: number, o: { ns?: string; time?: number } = {}): string {
  const ns = o.ns ?? 'shop';
  return JSON.stringify({
    time: o.time ?? Date.now(),
    kind: 'exec',
    process: { pid: 10000 + i, ppid: 1, exe: '/tmp/evil', args: ['/tmp/evil', String(i)], uid: 0 },
    workload: { id: `${ns}/Deployment/app-${i}`, namespace: ns, kind: 'Deployment', name: `app-${i}`, container: 'main', pod: `app-${i}-abc` },
    enrichment: 'complete',
  });
}

export function appendEvents(file: string, lines: string[]): void {
  appendFileSync(file, lines.map((l) => l + '\n').join(''));
}

export async function apiGet(port: number, path: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, text: await r.text() };
}

/** the agent logs "delivery started" once startDelivery runs; say so plainly when it does not */
export async function waitForDeliveryStarted(a: AgentProcess): Promise<void> {
  await waitFor(() => a.logs.some((l) => l.includes('"msg":"delivery started"')), {
    timeoutMs: 10000,
    what: 'the agent to log "delivery started" (is startDelivery wired into the agent?)',
  });
}
