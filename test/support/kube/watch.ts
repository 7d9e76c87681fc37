// Watch streams as kube-apiserver serves them: HTTP 200, chunked, one JSON event per
// line — {"type":"ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR","object":{…}}.
// - resourceVersion unset or "0": synthetic ADDED events for the current state, then changes;
// - resourceVersion N: every change after N; N older than the compaction → an ERROR event
//   carrying a 410 Expired Status, then the stream ends (or, optionally, an HTTP 410);
// - selectors are applied to both sides of a change: an object that starts matching
//   arrives as ADDED, one that stops matching as DELETED;
// - allowWatchBookmarks=true: BOOKMARK events with the current revision, periodically
//   and on demand; timeoutSeconds (and the server's own limit) end the stream cleanly.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, rtKey, type ResourceType } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ExpiredError, type Change, type KubeObject, type Store } from './store.ts';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** the server closes every watch after this long (kube-apiserver: --min-request-timeout, randomised) */
  watchTimeoutMs?: number;
  expiredWatch: 'event' | 'status';
}

export interface OpenWatch {
  type: ResourceType;
  /** end the stream cleanly (the client reconnects from its last revision) */
  end(): void;
  bookmark(): void;
}

export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function serveWatch(
  store: Store,
  t: ResourceType,
  ns: string | undefined,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  opts: WatchOptions,
  registry: Set<OpenWatch>,
): void {
  const label = parseLabelSelector(q.get('labelSelector'));
  const field = parseFieldSelector(q.get('fieldSelector'), t.fields);
  const matches = (o: KubeObject | undefined): boolean =>
    o !== undefined && (ns === undefined || o.metadata.namespace === ns) && label(o.metadata.labels) && field(o as Record<string, unknown>);
  const rvParam = q.get('resourceVersion') ?? '';
  const rt = rtKey(t);

  let initial: { type: string; object: unknown }[];
  if (rvParam === '' || rvParam === '0') {
    initial = store.list(rt, ns).filter(matches).map((o) => ({ type: 'ADDED', object: o }));
  } else {
    try {
      initial = store.changesSince(rt, Number(rvParam)).flatMap((c) => translate(c));
    } catch (e) {
      if (!(e instanceof ExpiredError)) throw e;
      const body = statusBody(410, 'Expired', `too old resource version: ${rvParam} (${store.compactedRv})`);
      if (opts.expiredWatch === 'status') {
        res.writeHead(410, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.end(JSON.stringify({ type: 'ERROR', object: body }) + '\n');
      }
      return;
    }
  }

  function translate(c: Change): { type: string; object: unknown }[] {
    const was = matches(c.prev);
    const is = c.type !== 'DELETED' && matches(c.object);
    if (c.type === 'ADDED') return is ? [{ type: 'ADDED', object: c.object }] : [];
    if (c.type === 'DELETED') return was ? [{ type: 'DELETED', object: c.object }] : [];
    if (was && is) return [{ type: 'MODIFIED', object: c.object }];
    if (is) return [{ type: 'ADDED', object: c.object }];
    if (was) return [{ type: 'DELETED', object: c.object }];
    return [];
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const write = (ev: { type: string; object: unknown }): void => {
    if (!res.writableEnded) res.write(JSON.stringify(ev) + '\n');
  };
  for (const ev of initial) write(ev);
  const unsubscribe = store.onChange((c) => {
    if (c.rt === rt) for (const ev of translate(c)) write(ev);
  });
  const timers: NodeJS.Timeout[] = [];
  const w: OpenWatch = {
    type: t,
    end() {
      cleanup();
      if (!res.writableEnded) res.end();
    },
    bookmark() {
      if (q.get('allowWatchBookmarks') === 'true') {
        write({ type: 'BOOKMARK', object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(store.currentRv) } } });
      }
    },
  };
  registry.add(w);
  function cleanup(): void {
    unsubscribe();
    for (const x of timers) clearTimeout(x);
    registry.delete(w);
  }
  if (q.get('allowWatchBookmarks') === 'true' && opts.bookmarkIntervalMs > 0) {
    const b = setInterval(() => w.bookmark(), opts.bookmarkIntervalMs);
    b.unref();
    timers.push(b);
  }
  const limits = [Number(q.get('timeoutSeconds') ?? 0) * 1000, opts.watchTimeoutMs ?? 0].filter((x) => x > 0);
  if (limits.length > 0) timers.push(setTimeout(() => w.end(), Math.min(...limits)).unref());
  req.on('close', cleanup);
  res.on('close', cleanup);
}
