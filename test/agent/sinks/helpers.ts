// Test helpers for delivery: alert fixtures, a loopback HTTP receiver with a
// programmable answer, and an in-process store + delivery harness.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, AlertUpdate } from '../../../models/alert.ts';
import { openDatabase, type Db } from '../../../agent/store/db.ts';
import { AlertStore } from '../../../agent/store/alerts.ts';
import { createMetrics, type Metrics } from '../../../agent/metrics.ts';
import { silentLogger, type Logger } from '../../../collector/log.ts';
import { startDelivery, type DeliveryHandle } from '../../../agent/sinks/index.ts';
import type { SinkConfig } from '../../../agent/sinks/types.ts';
import type { Timer } from '../../../agent/timer.ts';
import type { DropHook } from '../../../agent/sinks/dispatcher.ts';

let n = 0;
export function makeAlert(o: Partial<Alert> & { ns?: string | null } = {}): Alert {
  n++;
  const t = new Date(Date.now()).toISOString();
  const { ns, ...rest } = o;
  return {
    id: `a-${process.pid}-${n}-${Math.random().toString(36).slice(2, 8)}`,
    time: t,
    lastSeen: t,
    rule: 'exec-writable-path',
    severity: 'high',
    kind: 'exec',
    summary: 'exec of /tmp/evil from a writable path',
    description: '/tmp/evil was executed from /tmp, which any process can write',
    source: 'events',
    workload: {
      id: 'shop/Deployment/api',
      namespace: ns === undefined ? 'shop' : ns,
      kind: 'Deployment',
      name: 'api',
      container: 'app',
      pod: 'api-7d9f-abcde',
      node: 'test-node',
      image: 'registry.local/api:1.2',
    },
    process: { pid: 4242, ppid: 1, exe: '/tmp/evil', args: ['/tmp/evil', '--x'], uid: 0, cwd: '/', ancestors: [{ exe: '/bin/sh' }] },
    evidence: { exe: '/tmp/evil', item: '/tmp/*' },
    baseline: { state: 'learning', version: 1, items: 3, expected: ['/usr/bin/node'] },
    mitre: { technique: 'T1059.004', name: 'Unix Shell', tactic: 'execution' },
    dedupKey: `dk-${n}`,
    count: 1,
    ...rest,
  };
}

export const isNew = (alert: Alert): AlertUpdate => ({ alert, isNew: true });
export function repeat(a: Alert): AlertUpdate {
  a.count += 1;
  a.lastSeen = new Date().toISOString();
  return { alert: { ...a }, isNew: false };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** decides the answer per request (default 200) */
  answer: (r: Received, i: number) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(host = '127.0.0.1', port = 0): Promise<Receiver> {
  const rec: Receiver = {
    url: '',
    port: 0,
    requests: [],
    answer: () => ({ status: 200 }),
    close: async () => {},
  };
  let i = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { path: req.url ?? '/', headers: req.headers, body, json, at: Date.now() };
      const a = rec.answer(r, i++);
      if (a === 'hang') return; // never answer: the client's timeout fires
      if (a === 'reset') {
        req.socket.destroy();
        return;
      }
      if (a.status >= 200 && a.status < 300) rec.requests.push(r);
      res.writeHead(a.status, { 'Content-Type': 'text/plain', ...(a.headers ?? {}) });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  const addr = server.address();
  rec.port = typeof addr === 'object' && addr ? addr.port : port;
  rec.url = `http://${host}:${rec.port}`;
  rec.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return rec;
}

export interface Harness {
  dir: string;
  file: string;
  db: Db;
  alerts: AlertStore;
  metrics: Metrics;
  delivery: DeliveryHandle;
  /** simulate a restart: stop delivery, close the db, reopen, start again */
  restart(sinks?: SinkConfig[]): Promise<void>;
  close(): Promise<void>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export async function startHarness(sinks: SinkConfig[], o: { log?: Logger; now?: () => number; timer?: Timer; onDrop?: DropHook } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hw-delivery-'));
  const file = join(dir, 'habitwatch.db');
  const open = (s: SinkConfig[]): Pick<Harness, 'db' | 'alerts' | 'metrics' | 'delivery'> => {
    const db = openDatabase(file);
    const alerts = new AlertStore(db);
    const metrics = createMetrics({ defaultMetrics: false });
    const delivery = startDelivery({ db, alerts, metrics, log: o.log ?? silentLogger, sinks: s, now: o.now, timer: o.timer, onDrop: o.onDrop });
    return { db, alerts, metrics, delivery };
  };
  let current = sinks;
  const h: Harness = {
    dir,
    file,
    ...open(sinks),
    async restart(s) {
      await h.delivery.stop();
      h.db.close();
      current = s ?? current;
      Object.assign(h, open(current));
    },
    async close() {
      await h.delivery.stop();
      if (h.db.open) h.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async metric(name, labels = {}) {
      const m = await h.metrics.registry.getSingleMetric(name)?.get();
      if (!m) return 0;
      return m.values
        .filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
        .filter((v) => !('metricName' in v) || !String((v as { metricName?: string }).metricName).endsWith('_bucket'))
        .reduce((s, v) => s + v.value, 0);
    },
  };
  return h;
}
