// Live stream: WebSocket /v1/stream (ws, noServer) on the API server, so it shares
// its port and bearer-token auth. Pushes committed alerts and, on request, raw
// events, filtered server-side. A client that cannot keep up is disconnected
// (close code 1013) instead of being buffered for without bound.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { ApiServer } from './server.ts';
import type { Bus } from '../bus.ts';
import type { Logger } from '../../collector/log.ts';
import type { Metrics } from '../metrics.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { SEVERITIES, severityRank, type Alert, type AlertUpdate, type Severity } from '../../models/alert.ts';

export const STREAM_PATH = '/v1/stream';
/** 1013 "try again later": the client did not read fast enough */
export const CLOSE_SLOW_CONSUMER = 1013;
/** the subscription (query or first message) was not understood */
export const CLOSE_BAD_SUBSCRIPTION = 4400;
/** server shutting down */
export const CLOSE_GOING_AWAY = 1001;

export const DEFAULT_MAX_BUFFERED_BYTES = 4 << 20;
const PING_INTERVAL_MS = 30_000;
/** after a slow-consumer close, give the client this long to finish the handshake */
const TERMINATE_AFTER_MS = 5_000;

export interface StreamFilter {
  minSeverity?: Severity;
  namespaces?: string[];
  rules?: string[];
  /** workload id (`ns/Kind/name`), `Kind/name` or name */
  workloads?: string[];
  /** also push raw events (matching namespaces/workloads) */
  events: boolean;
}

export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
}

const list = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  if (!arr.every((x) => typeof x === 'string')) throw new SubscriptionError(`${what} must be a string or an array of strings`);
  const out = (arr as string[]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return out.length > 0 ? out : undefined;
};

/** filters from a plain object (the subscribe message) or query parameters */
export function parseFilter(o: Record<string, unknown>): StreamFilter {
  const sev = o.minSeverity ?? o.severity;
  if (sev !== undefined && (typeof sev !== 'string' || !(SEVERITIES as readonly string[]).includes(sev))) {
    throw new SubscriptionError(`minSeverity must be one of ${SEVERITIES.join(', ')}`);
  }
  const ev = o.events;
  return {
    minSeverity: sev as Severity | undefined,
    namespaces: list(o.namespaces ?? o.namespace, 'namespace'),
    rules: list(o.rules ?? o.rule, 'rule'),
    workloads: list(o.workloads ?? o.workload, 'workload'),
    events: ev === true || ev === 'true' || ev === '1',
  };
}

export function filterFromQuery(q: URLSearchParams): StreamFilter {
  const o: Record<string, unknown> = {};
  for (const k of new Set(q.keys())) {
    if (k === 'access_token') continue;
    const all = q.getAll(k);
    o[k] = all.length === 1 ? all[0] : all;
  }
  return parseFilter(o);
}

function workloadMatches(f: StreamFilter, w: { id: string; kind: string; name: string } | undefined): boolean {
  if (!f.workloads) return true;
  if (!w) return false;
  return f.workloads.some((x) => x === w.id || x === `${w.kind}/${w.name}` || x === w.name);
}

export function alertMatches(f: StreamFilter, a: Alert): boolean {
  if (f.minSeverity && severityRank(a.severity) < severityRank(f.minSeverity)) return false;
  if (f.namespaces && !f.namespaces.includes(a.workload.namespace ?? '')) return false;
  if (f.rules && !f.rules.includes(a.rule)) return false;
  return workloadMatches(f, a.workload);
}

export function eventMatches(f: StreamFilter, e: RuntimeEvent): boolean {
  if (f.namespaces && !f.namespaces.includes(e.workload?.namespace ?? '')) return false;
  return workloadMatches(f, e.workload);
}

interface Client {
  ws: WebSocket;
  filter: StreamFilter;
  actor: string;
  alive: boolean;
  dead: boolean;
}

export interface StreamHandle {
  close(): void;
}

export function registerStream(
  api: ApiServer,
  bus: Bus,
  opts: { log: Logger; metrics: Metrics; maxBufferedBytes?: number },
): StreamHandle {
  const log = opts.log.child({ component: 'stream' });
  const m = opts.metrics.delivery;
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Set<Client>();
  let eventsListening = false;

  const drop = (c: Client, code: number, reason: string, metricReason: string): void => {
    if (c.dead) return;
    c.dead = true;
    m.streamDisconnects.inc({ reason: metricReason });
    log.warn('stream client disconnected', { actor: c.actor, reason: metricReason, buffered: c.ws.bufferedAmount });
    c.ws.close(code, reason);
    setTimeout(() => c.ws.terminate(), TERMINATE_AFTER_MS).unref();
  };

  const send = (c: Client, type: string, payload: string): void => {
    if (c.dead || c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + payload.length > maxBuffered) {
      drop(c, CLOSE_SLOW_CONSUMER, `slow consumer: over ${maxBuffered} bytes unsent`, 'slow_consumer');
      return;
    }
    c.ws.send(payload);
    m.streamMessages.inc({ type });
  };

  const onAlert = (u: AlertUpdate): void => {
    let payload: string | undefined;
    for (const c of clients) {
      if (!alertMatches(c.filter, u.alert)) continue;
      payload ??= JSON.stringify({ type: 'alert', isNew: u.isNew, alert: u.alert });
      send(c, 'alert', payload);
    }
  };

  const onEvents = (evs: RuntimeEvent[]): void => {
    for (const c of clients) {
      if (!c.filter.events) continue;
      const mine = evs.filter((e) => eventMatches(c.filter, e));
      if (mine.length > 0) send(c, 'events', JSON.stringify({ type: 'events', events: mine }));
    }
  };

  // raw events cost a fan-out: listen only while a client asked for them (Bus.wantsEvents)
  const syncEventsListener = (): void => {
    const want = [...clients].some((c) => c.filter.events && !c.dead);
    if (want && !eventsListening) bus.on('events', onEvents);
    if (!want && eventsListening) bus.off('events', onEvents);
    eventsListening = want;
  };

  bus.on('alert', onAlert);

  const ping = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        drop(c, CLOSE_GOING_AWAY, 'no pong', 'no_pong');
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, PING_INTERVAL_MS);
  ping.unref();

  const hello = (c: Client, type: 'hello' | 'subscribed'): void => {
    const f = c.filter;
    c.ws.send(JSON.stringify({ type, filter: f }));
  };

  const onConnection = (ws: WebSocket, req: IncomingMessage, actor: string): void => {
    let filter: StreamFilter;
    try {
      filter = filterFromQuery(new URL(req.url ?? '/', 'http://x').searchParams);
    } catch (e) {
      m.streamDisconnects.inc({ reason: 'bad_subscription' });
      ws.close(CLOSE_BAD_SUBSCRIPTION, (e as Error).message.slice(0, 120));
      return;
    }
    const c: Client = { ws, filter, actor, alive: true, dead: false };
    clients.add(c);
    m.streamClients.set(clients.size);
    syncEventsListener();
    log.info('stream client connected', { actor, filter });
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let msg: unknown;
      try {
        if (isBinary) throw new SubscriptionError('binary messages are not understood');
        msg = JSON.parse(data.toString());
        if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new SubscriptionError('expected a JSON object');
        const o = msg as Record<string, unknown>;
        if (o.type !== undefined && o.type !== 'subscribe') throw new SubscriptionError(`unknown message type ${JSON.stringify(o.type)}`);
        c.filter = parseFilter(o);
      } catch (e) {
        drop(c, CLOSE_BAD_SUBSCRIPTION, (e instanceof SubscriptionError ? e.message : 'invalid JSON').slice(0, 120), 'bad_subscription');
        return;
      }
      syncEventsListener();
      hello(c, 'subscribed');
    });
    ws.on('close', () => {
      clients.delete(c);
      m.streamClients.set(clients.size);
      syncEventsListener();
    });
    ws.on('error', (e) => log.debug('stream socket error', { err: String(e) }));
    hello(c, 'hello');
  };

  api.upgrade(STREAM_PATH, (req: IncomingMessage, socket: Duplex, head: Buffer, actor: string) => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req, actor));
  });

  return {
    close() {
      clearInterval(ping);
      bus.off('alert', onAlert);
      if (eventsListening) bus.off('events', onEvents);
      eventsListening = false;
      for (const c of clients) {
        c.dead = true;
        c.ws.close(CLOSE_GOING_AWAY, 'server shutting down');
        setTimeout(() => c.ws.terminate(), 1000).unref();
      }
      wss.close();
    },
  };
}
