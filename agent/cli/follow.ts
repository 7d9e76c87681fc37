// `--follow`: the agent's live stream (WebSocket /v1/stream) with the command's filters,
// until Ctrl-C. A dropped connection is re-opened with backoff (and said on stderr).
import type { WebSocket } from 'ws';
import type { AlertUpdate } from '../../models/alert.ts';
import { Backoff } from '../../collector/backoff.ts';
import { sleep } from '../../collector/sleep.ts';
import type { Client } from './client.ts';
import { ApiCallError, EXIT } from './errors.ts';

export interface FollowOptions {
  /** stream query: minSeverity, namespace, workload, rule */
  query: URLSearchParams;
  onAlert: (u: AlertUpdate) => void | Promise<void>;
  err: NodeJS.WritableStream;
  /** resolves when following should stop (default: SIGINT/SIGTERM) */
  stop?: Promise<void>;
}

function signals(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function follow(client: Client, o: FollowOptions): Promise<number> {
  const stop = o.stop ?? signals();
  let stopped = false;
  const stopping = new AbortController();
  void stop.then(() => {
    stopped = true;
    stopping.abort();
  });
  const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  let current: WebSocket | undefined;
  void stop.then(() => current?.close());
  while (!stopped) {
    let ws: WebSocket;
    try {
      ws = await client.stream(`/v1/stream?${o.query}`);
    } catch (e) {
      // refused (401/403/400): no point retrying
      if (e instanceof ApiCallError) throw e;
      if (stopped) break;
      const wait = backoff.next();
      o.err.write(`habitwatch: ${(e as Error).message}; retrying in ${Math.round(wait / 100) / 10}s\n`);
      await sleep(wait, stopping.signal);
      continue;
    }
    backoff.reset();
    current = ws;
    let queue = Promise.resolve();
    ws.on('message', (data) => {
      let m: { type?: string } & Partial<AlertUpdate>;
      try {
        m = JSON.parse(data.toString()) as typeof m;
      } catch {
        return;
      }
      if (m.type === 'alert' && m.alert) queue = queue.then(() => o.onAlert({ alert: m.alert!, isNew: m.isNew === true })).catch((e: Error) => void o.err.write(`habitwatch: ${e.message}\n`));
    });
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    await queue;
    if (stopped) break;
    if (code === 4400) {
      o.err.write('habitwatch: the agent did not understand the stream filters\n');
      return EXIT.refused;
    }
    o.err.write(`habitwatch: stream closed (${code}); reconnecting\n`);
  }
  return EXIT.ok;
}
