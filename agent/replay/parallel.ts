// Sharded replay of normalised events: shard 0 runs on this thread, the others on
// worker threads; each reads the input itself and judges only its workloads' events
// (see shard.ts). The merged result equals a single pipeline's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MemoryStats, type StatsSnapshot } from '../../collector/stats.ts';
import type { Alert } from '../../models/alert.ts';
import { ShardReplay, type ShardParams, type ShardRead, type ShardResult } from './shard.ts';

export interface MergedReplay {
  alerts: Alert[];
  stats: MemoryStats;
  events: number;
  baselines: Record<string, number>;
  misrouted: number;
  /** threads actually used */
  threads: number;
}

type FromWorker = { type: 'progress'; events: number } | { type: 'read'; read: ShardRead } | { type: 'result'; result: ShardResult };

/**
 * The worker's entry: the plain module worker.js next to this one once compiled
 * (dist/). When the TypeScript sources run under tsx (tests), a worker does not get
 * the parent's --import loader for its entry on Node 20, so a data: URL registers
 * tsx's ESM loader in the worker first and then imports worker.ts.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./worker.js', here);
  // tsx's ESM API as its exports map names it (mocha's CJS transform has no import.meta.resolve)
  const pkg = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = pathToFileURL(join(dirname(pkg), api)).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(new URL('./worker.ts', here).href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** A worker's side of the protocol as two promises, failing if the worker does. */
function startWorker(url: URL, params: ShardParams, onProgress: (events: number) => void) {
  const w = new Worker(url, { workerData: params });
  let readDone!: (r: ShardRead) => void;
  let resultDone!: (r: ShardResult) => void;
  let fail!: (e: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // observed through the promises below
  const read = new Promise<ShardRead>((r) => (readDone = r));
  const result = new Promise<ShardResult>((r) => (resultDone = r));
  w.on('message', (m: FromWorker) => {
    if (m.type === 'progress') onProgress(m.events);
    else if (m.type === 'read') readDone(m.read);
    else resultDone(m.result);
  });
  w.on('error', (e) => fail(e));
  w.on('exit', (code) => fail(new Error(`replay worker ${params.shard} exited with code ${code}`)));
  const readOrFail = Promise.race([read, failed]);
  const resultOrFail = Promise.race([result, failed]);
  // if this thread fails first, nobody awaits these: not an unhandled rejection
  readOrFail.catch(() => undefined);
  resultOrFail.catch(() => undefined);
  return {
    read: readOrFail,
    result: resultOrFail,
    finish: (lastTime: number) => w.postMessage({ type: 'finish', lastTime }),
    stop: () => void w.terminate(),
  };
}

export async function replaySharded(
  base: Omit<ShardParams, 'shard' | 'shards'>,
  wanted: number,
  onProgress?: (events: number) => void,
): Promise<MergedReplay> {
  const shards = Math.max(1, wanted);
  const counts = new Array<number>(shards).fill(0);
  const progress = (i: number, n: number): void => {
    counts[i] = n;
    onProgress?.(counts.reduce((a, b) => a + b, 0));
  };
  const local = new ShardReplay({ ...base, shard: 0, shards });
  if (shards === 1) {
    const r = await local.read(onProgress);
    return merge([local.finish(r.lastTime)]);
  }
  const entry = workerEntry();
  const ws = Array.from({ length: shards - 1 }, (_, i) => startWorker(entry, { ...base, shard: i + 1, shards }, (n) => progress(i + 1, n)));
  try {
    const reads = [await local.read((n) => progress(0, n)), ...(await Promise.all(ws.map((w) => w.read)))];
    // the file's last valid event closes learning (as a single pipeline ticks at the end)
    let last: ShardRead | undefined;
    for (const r of reads) if (r.lastLine >= 0 && (last === undefined || r.lastLine > last.lastLine)) last = r;
    const lastTime = last?.lastTime ?? 0;
    for (const w of ws) w.finish(lastTime);
    const results = [local.finish(lastTime), ...(await Promise.all(ws.map((w) => w.result)))];
    return { ...merge(results), threads: shards };
  } finally {
    for (const w of ws) w.stop();
  }
}

function merge(results: ShardResult[]): MergedReplay {
  const stats = new MemoryStats();
  const baselines: Record<string, number> = {};
  const alerts: Alert[] = [];
  let events = 0;
  let misrouted = 0;
  for (const r of results) {
    alerts.push(...r.alerts);
    events += r.events;
    misrouted += r.misrouted;
    for (const [s, n] of Object.entries(r.baselines)) baselines[s] = (baselines[s] ?? 0) + n;
    addSnapshot(stats.snap, r.stats);
  }
  return { alerts, stats, events, baselines, misrouted, threads: 1 };
}

function addSnapshot(into: StatsSnapshot, from: StatsSnapshot): void {
  for (const [src, n] of Object.entries(from.received)) into.received[src] = (into.received[src] ?? 0) + n;
  for (const [src, n] of Object.entries(from.restarts)) into.restarts[src] = (into.restarts[src] ?? 0) + n;
  for (const key of ['bad', 'dropped', 'repaired'] as const) {
    for (const [src, reasons] of Object.entries(from[key])) {
      const m = (into[key][src] ??= {});
      for (const [reason, n] of Object.entries(reasons)) m[reason] = (m[reason] ?? 0) + n;
    }
  }
  for (const [k, ex] of Object.entries(from.examples)) {
    const list = (into.examples[k] ??= []);
    for (const e of ex) if (list.length < 3) list.push(e);
  }
}
