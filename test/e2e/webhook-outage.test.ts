// A webhook receiver that fails (500, 429, timeouts), then is down, then recovers,
// while the agent raises alerts and is SIGKILLed and restarted in the middle:
// every alert arrives at least once, signatures verify, duplicates share their
// idempotency key, and the outbox ends empty.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../agent/store/db.ts';
import { requireComponent, waitFor } from '../support/env.ts';
import { agentAvailable, AGENT_BIN, apiGet, appendEvents, evilExec, startAgent, waitForDeliveryStarted, writeAgentConfig, type AgentProcess } from '../agent/sinks/agent-process.ts';
import { freePort } from '../agent/sinks/servers.ts';

const SECRET = 'outage-secret';
type Mode = 'flaky' | 'ok';

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  /** the status we answered, or 0 when we let the request time out */
  status: number;
}

interface Item {
  idempotencyKey: string;
  alert: { id: string; workload: { name: string } };
}

class FlakyReceiver {
  hits: Hit[] = [];
  mode: Mode = 'flaky';
  private server: Server | undefined;
  private n = 0;
  constructor(readonly port: number) {}

  async up(mode: Mode): Promise<void> {
    this.mode = mode;
    this.n = 0;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const i = this.n++;
        const hit: Hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0 };
        this.hits.push(hit);
        let status: number | 'hang';
        let headers: Record<string, string> = {};
        if (this.mode === 'flaky') {
          const k = i % 3;
          status = k === 0 ? 500 : k === 1 ? 429 : 'hang';
          if (k === 1) headers = { 'Retry-After': '1' };
        } else {
          // recovered, but the first answers come too late: the agent retries what we already got
          status = i < 2 ? 'hang' : 200;
        }
        if (status === 'hang') return;
        hit.status = status;
        res.writeHead(status, headers);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
  }

  async down(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  items(onlyAccepted: boolean): { item: Item; hit: Hit }[] {
    return this.hits
      .filter((h) => !onlyAccepted || h.status === 200)
      .flatMap((hit) => (JSON.parse(hit.body) as { alerts: Item[] }).alerts.map((item) => ({ item, hit })));
  }
}

function verify(h: Hit): boolean {
  const ts = String(h.headers['x-habitwatch-timestamp']);
  const want = Buffer.from('sha256=' + createHmac('sha256', SECRET).update(`${ts}.${h.body}`).digest('hex'));
  const got = Buffer.from(String(h.headers['x-habitwatch-signature']));
  return want.length === got.length && timingSafeEqual(want, got);
}

describe('e2e: webhook outage, agent SIGKILL and restart', function () {
  this.timeout(150000);
  let dir: string;
  let rx: FlakyReceiver | undefined;
  let agent: AgentProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-e2e-outage-'));
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await rx?.down();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every alert at least once, signed, with stable idempotency keys', async function () {
    requireComponent(this, agentAvailable(), `the agent (${AGENT_BIN})`);
    rx = new FlakyReceiver(await freePort());
    const { config, events } = writeAgentConfig(dir, [
      {
        type: 'webhook',
        name: 'siem',
        url: `http://127.0.0.1:${rx.port}/hook`,
        hmacSecret: SECRET,
        batchSize: 4,
        timeout: 300,
        retry: { initial: 100, max: 1000 },
      },
    ]);
    const dbFile = join(dir, 'habitwatch.db');
    const stored = (): string[] => {
      const db = openDatabase(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT id FROM alerts').all() as { id: string }[]).map((r) => r.id);
      } finally {
        db.close();
      }
    };
    const pending = (): number => {
      const db = openDatabase(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };

    // 1: the receiver answers 500, 429 (Retry-After) and lets requests time out
    await rx.up('flaky');
    agent = await startAgent(config);
    await waitForDeliveryStarted(agent);
    appendEvents(events, Array.from({ length: 8 }, (_, i) => evilExec(i)));
    await waitFor(() => stored().length >= 8, { what: '8 alerts stored', timeoutMs: 30000 });
    await waitFor(() => rx!.hits.length >= 6, { what: 'failed attempts of every kind', timeoutMs: 30000 });

    // 2: the receiver is down (connection refused); more alerts; then SIGKILL mid-retry
    await rx.down();
    appendEvents(events, Array.from({ length: 8 }, (_, i) => evilExec(100 + i)));
    await waitFor(() => stored().length >= 16, { what: '16 alerts stored', timeoutMs: 30000 });
    assert.ok(pending() > 0, 'deliveries are waiting in the outbox');
    await agent.kill('SIGKILL');
    const afterKill = await agent.exited;
    assert.equal(afterKill.signal, 'SIGKILL');

    // 3: restart while the receiver is still down; more alerts
    agent = await startAgent(config);
    appendEvents(events, Array.from({ length: 8 }, (_, i) => evilExec(200 + i)));
    await waitFor(() => stored().length >= 24, { what: '24 alerts stored', timeoutMs: 30000 });
    await waitFor(async () => /habitwatch_sink_deliveries_total\{sink="siem",outcome="retry"\} [1-9]/.test((await apiGet(agent!.port, '/metrics')).text), {
      what: 'the restarted agent retrying',
      timeoutMs: 30000,
    });

    // 4: the receiver recovers (its first answers too late, so the agent re-sends those)
    await rx.up('ok');
    const ids = stored();
    await waitFor(
      () => {
        const got = new Set(rx!.items(true).map((x) => x.item.alert.id));
        return ids.every((id) => got.has(id));
      },
      { what: 'every stored alert accepted by the receiver', timeoutMs: 60000 },
    );
    await waitFor(() => pending() === 0, { what: 'outbox empty', timeoutMs: 20000 });

    // every evil exec (24 distinct workloads) became an alert that arrived
    const all = rx.items(false);
    const workloads = new Set(rx.items(true).map((x) => x.item.alert.workload.name));
    for (const i of [...Array(8).keys()].flatMap((k) => [k, 100 + k, 200 + k])) assert.ok(workloads.has(`app-${i}`), `alert for app-${i} arrived`);
    // signatures verify on every request, failed or not
    assert.ok(rx.hits.length > 0 && rx.hits.every(verify), 'all signatures verify');
    // duplicates exist (timeouts after receipt, retries) and carry the same idempotency key
    const byId = new Map<string, Set<string>>();
    for (const { item } of all) {
      const s = byId.get(item.alert.id) ?? new Set<string>();
      s.add(item.idempotencyKey);
      byId.set(item.alert.id, s);
    }
    const dupes = [...byId.keys()].filter((id) => all.filter((x) => x.item.alert.id === id).length > 1);
    assert.ok(dupes.length > 0, 'the scenario produced redeliveries');
    for (const [id, keys] of byId) assert.deepEqual([...keys], [id], `one idempotency key per alert (${id})`);
    // single-alert batches carry it as a header too; batch keys are stable across retries
    for (const h of rx.hits) {
      const items = (JSON.parse(h.body) as { alerts: Item[] }).alerts;
      if (items.length === 1) assert.equal(h.headers['idempotency-key'], items[0].idempotencyKey);
    }
    await agent.kill('SIGTERM');
  });
});
