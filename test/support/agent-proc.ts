// Runs `habitwatch agent --config FILE` as a child process for end-to-end tests.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, REPO, waitFor } from './env.ts';

export interface AgentProc {
  child: ChildProcess;
  port: number;
  logs: () => string;
  api(path: string, init?: RequestInit): Promise<Response>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export const TEST_TOKEN = 'test-token-0123456789';

export function tempDir(prefix = 'hw-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** the JSON log lines in an agent's output (other lines skipped) */
export function logLines(out: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const l of out.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // a line cut by the end of the output so far
    }
  }
  return lines;
}

/** write config (merged over test defaults) into dir and start the agent */
export async function startAgentProc(
  dir: string,
  config: Record<string, unknown>,
  opts: { timeoutMs?: number; /** how to start it, e.g. TestContainer.spawn to run it in a test cgroup */ spawn?: (cmd: string, args: string[], o: SpawnOptions) => ChildProcess } = {},
): Promise<AgentProc> {
  const cfg = {
    node: 'test-node',
    dataDir: join(dir, 'data'),
    api: { listen: '127.0.0.1:0', tokens: [{ name: 'tester', token: TEST_TOKEN, role: 'admin' }] },
    learning: { minLearning: '0s', quietPeriod: '1s' },
    store: { flushInterval: '200ms' },
    ...config,
  };
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, stringify(cfg));
  const child = (opts.spawn ?? spawn)(process.execPath, [CLI, 'agent', '--config', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => ((exited = true), r(code))));
  const port = await waitFor(
    () => {
      if (exited) throw new Error(`agent exited early:\n${out}`);
      const listening = logLines(out).find((l) => l.msg === 'api listening');
      return listening && logLines(out).some((l) => l.msg === 'sources started') ? Number(listening.port) : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 30000, what: 'agent start' },
  ).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    child,
    port,
    logs: () => out,
    api: (path, init = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } }),
    async kill(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
      return exit;
    },
  };
}
