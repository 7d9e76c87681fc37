// HTTP ingest matching Falco's http_output: Falco POSTs one JSON alert per request
// with Content-Type application/json. Bad requests are answered 4xx and counted by
// reason; when the pipeline is behind, 503 (Falco logs the failure and goes on).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { RuntimeEvent } from '../../event.ts';
import type { SourceContext } from '../types.ts';
import type { BatchChannel } from '../tetragon/channel.ts';
import type { JsonDecoder } from '../tetragon/jsonl.ts';
import type { FalcoHttpConfig } from './config.ts';
import { SOURCE } from './decode.ts';
import { badExample } from '../../stats.ts';

export class ListenAddressError extends Error {
  override name = 'ListenAddressError';
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]*):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new ListenAddressError(`bad listen address ${JSON.stringify(s)}: want host:port`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1], port: Number(m[2]) };
}

export interface IngestServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

class HttpReject extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new HttpReject(413, 'body_too_large', `content-length ${declared}`));
    const parts: Buffer[] = [];
    let len = 0;
    req.on('data', (d: Buffer) => {
      len += d.length;
      if (len > max) {
        req.destroy();
        reject(new HttpReject(413, 'body_too_large', `over ${max} bytes`));
      } else parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** One alert per body, as Falco sends it; also a JSON array or JSON lines (batchers). */
function parseBody(body: string): unknown[] {
  const t = body.trim();
  if (t === '') throw new HttpReject(400, 'empty_body', 'empty body');
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) ? v : [v];
  } catch {
    const lines = t.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new HttpReject(400, 'invalid_json', t);
    return lines.map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new HttpReject(400, 'invalid_json', l);
      }
    });
  }
}

function tokenOk(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const got = Buffer.from(header.slice(7));
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startIngest(
  cfg: FalcoHttpConfig,
  decode: JsonDecoder,
  ctx: SourceContext,
  ch: BatchChannel<RuntimeEvent>,
): Promise<IngestServer> {
  const { host, port } = parseListen(cfg.listen);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) return reply(res, 200, { ok: true });
    if (req.method !== 'POST') throw new HttpReject(405, 'bad_method', String(req.method));
    if (cfg.token && !tokenOk(req.headers.authorization, cfg.token)) throw new HttpReject(401, 'unauthorized', 'missing or wrong bearer token');
    const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (ctype !== 'application/json') throw new HttpReject(415, 'bad_content_type', ctype || '(none)');
    const body = await readBody(req, cfg.maxBodyBytes);
    if (!isUtf8(body)) throw new HttpReject(400, 'bad_encoding', `request body is not UTF-8: ${body.toString('utf8', 0, 4096)}`);
    const alerts = parseBody(body.toString('utf8'));
    const events: RuntimeEvent[] = [];
    for (const a of alerts) {
      const r = decode(a);
      if (!r.ok) throw new HttpReject(400, r.reason, r.detail);
      if (r.dropped) ctx.stats.dropped(SOURCE, 'upstream_drop', r.dropped);
      events.push(...r.events);
    }
    if (events.length > 0 && !ch.offer(events)) {
      ctx.stats.dropped(SOURCE, 'queue_full', events.length);
      return reply(res, 503, { error: 'pipeline busy, retry later' });
    }
    ctx.stats.received(SOURCE, alerts.length);
    reply(res, 200, { accepted: alerts.length, events: events.length });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpReject) {
        ctx.stats.bad(SOURCE, e.reason, e.message);
        reply(res, e.status, { error: e.reason, detail: badExample(e.message) });
      } else {
        ctx.log.warn('falco ingest request failed', { err: String(e) });
        reply(res, 500, { error: 'internal' });
      }
    });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  ctx.log.info('falco http ingest listening', { host, port: bound });
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}
