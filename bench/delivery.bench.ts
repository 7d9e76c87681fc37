// Delivery budgets, through the real in-process pipeline (Pipeline.run with the
// engine, rules, AlertStore + durable outbox, a webhook sink on loopback):
//   outbox_commit_p99_ms  event accepted by the pipeline → alert committed with its
//                         outbox row (the commit is one transaction; measured at the
//                         bus 'alert' emit that follows it), at 10,000 events/s
//   webhook_2xx_p99_ms    event accepted → a healthy loopback webhook answered 2xx
// 1 event in 100 raises an alert (an exec from /tmp in a fresh workload).
import { createServer } from 'node:http';
import { join } from 'node:path';
import { defineBench } from './harness.ts';
import { sleep } from '../collector/sleep.ts';
import type { RuntimeEvent } from '../collector/event.ts';
import { silentLogger } from '../collector/log.ts';
import { createEnricher } from '../collector/enrich/index.ts';
import { Profiler } from '../models/baseline/profiler.ts';
import { DEFAULT_LEARNING } from '../models/baseline/baseline.ts';
import { Engine, DEFAULT_ENGINE } from '../models/engine.ts';
import { rules } from '../models/rules/index.ts';
import { openDatabase } from '../agent/store/db.ts';
import { AlertStore } from '../agent/store/alerts.ts';
import { createMetrics } from '../agent/metrics.ts';
import { Bus } from '../agent/bus.ts';
import { Pipeline } from '../agent/pipeline.ts';
import { startDelivery } from '../agent/sinks/index.ts';

const RATE = 10_000;
const TICK_MS = 10;
const ALERT_EVERY = 100;

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

function p99(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)];
}

export default defineBench({
  name: 'delivery',
  budgets: { outbox_commit_p99_ms: ['<=', 100], webhook_2xx_p99_ms: ['<=', 1000] },
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 10;
    // the healthy webhook: records when it answers each alert
    const answered = new Map<string, number>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { alerts: { alert: { workload: { name: string } } }[] };
        res.on('finish', () => {
          const t = performance.now();
          for (const a of body.alerts) answered.set(a.alert.workload.name, t);
        });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;

    const db = openDatabase(join(ctx.tmp, 'delivery-bench.db'));
    const alerts = new AlertStore(db);
    const metrics = createMetrics({ defaultMetrics: false });
    const bus = new Bus();
    const delivery = startDelivery({
      db,
      alerts,
      metrics,
      log: silentLogger,
      sinks: [{ type: 'webhook', name: 'bench', url: `http://127.0.0.1:${port}/hook`, hmacSecret: 'k' }],
    });
    const pipeline = new Pipeline({
      engine: new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE),
      enricher: createEnricher([]),
      log: silentLogger,
      now: Date.now,
      alerts,
      metrics,
      bus,
    });

    const accepted = new Map<string, number>();
    const committed = new Map<string, number>();
    bus.on('alert', (u) => {
      if (u.isNew) committed.set(u.alert.workload.name, performance.now());
    });

    // a paced source: RATE events/s in ticks; `accepted` is stamped as the batch is yielded
    let seq = 0;
    async function* source(): AsyncGenerator<RuntimeEvent[]> {
      const perTick = (RATE * TICK_MS) / 1000;
      const start = performance.now();
      const ticks = (seconds * 1000) / TICK_MS;
      for (let t = 0; t < ticks; t++) {
        const due = start + t * TICK_MS;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const batch: RuntimeEvent[] = [];
        const now = Date.now();
        for (let i = 0; i < perTick; i++) {
          const n = seq++;
          const bad = n % ALERT_EVERY === 0;
          const name = bad ? `evil-${n}` : `web-${n % 50}`;
          batch.push({
            time: now,
            node: 'bench',
            source: 'bench',
            process: { pid: 1000 + (n % 5000), ppid: 1, exe: bad ? '/tmp/evil' : '/usr/bin/node', args: bad ? ['/tmp/evil'] : ['node', 'server.js'], uid: 0 },
            workload: { id: `bench/Deployment/${name}`, namespace: 'bench', kind: 'Deployment', name, container: 'app' },
            enrichment: 'complete',
            kind: 'exec',
          } as RuntimeEvent);
        }
        const at = performance.now();
        for (const e of batch) if (e.workload!.name.startsWith('evil-')) accepted.set(e.workload!.name, at);
        yield batch;
        if (t % 100 === 0) ctx.progress(`${Math.round((t * TICK_MS) / 1000)} s of ${seconds} s at ${RATE} events/s`);
      }
    }

    const ac = new AbortController();
    const t0 = performance.now();
    await pipeline.run([{ name: 'bench', batches: source() }], ac.signal);
    const elapsed = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 30_000;
    while (answered.size < accepted.size && Date.now() < deadline) await sleep(50);
    await delivery.stop();
    server.closeAllConnections();
    server.close();
    db.close();

    const commitLat: number[] = [];
    const hookLat: number[] = [];
    for (const [name, at] of accepted) {
      const c = committed.get(name);
      const w = answered.get(name);
      if (c !== undefined) commitLat.push(c - at);
      if (w !== undefined) hookLat.push(w - at);
    }
    if (commitLat.length < accepted.size || hookLat.length < accepted.size) {
      throw new Error(`lost alerts: ${accepted.size} raised, ${commitLat.length} committed, ${hookLat.length} delivered`);
    }
    return {
      delivery_events_per_s: Math.round((seq / elapsed) * 10) / 10,
      delivery_alerts: accepted.size,
      outbox_commit_p99_ms: Math.round(p99(commitLat) * 100) / 100,
      webhook_2xx_p99_ms: Math.round(p99(hookLat) * 100) / 100,
      webhook_2xx_p50_ms: Math.round(p50(hookLat) * 100) / 100,
    };
  },
});
