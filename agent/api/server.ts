// HTTP API: a small router over node:http with bearer-token auth. Loopback by
// default. /healthz and /readyz are open; everything else needs the token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../collector/log.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** parsed JSON body (POST), or undefined */
  body: unknown;
  raw: IncomingMessage;
  /** who made the call (from the token's name), for the audit trail */
  actor: string;
}

export type Reply =
  | { status?: number; json: unknown }
  | { status?: number; text: string; contentType?: string }
  | { handled: true };

export type Handler = (req: Request, res: ServerResponse) => Reply | Promise<Reply>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, actor: string) => void;

export interface ApiOptions {
  host: string;
  port: number;
  /** token → actor name; empty map = auth disabled (only allowed on loopback) */
  tokens: Map<string, string>;
  log: Logger;
  /** health and readiness probes */
  ready?: () => boolean;
  /** why not ready: sources not observing yet (shown by /readyz) */
  notObserving?: () => string[];
  maxBodyBytes?: number;
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  open: boolean;
}

export class ApiServer {
  readonly server: Server;
  private routes: Route[] = [];
  private upgrades = new Map<string, UpgradeHandler>();

  constructor(private opts: ApiOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
    this.route('GET', '/healthz', () => ({ json: { ok: true } }), { open: true });
    this.route('GET', '/readyz', () => {
      const ok = this.opts.ready?.() ?? true;
      const waiting = this.opts.notObserving?.() ?? [];
      return { status: ok ? 200 : 503, json: waiting.length > 0 ? { ready: ok, notObserving: waiting } : { ready: ok } };
    }, { open: true });
  }

  /** path segments like {id} become params; {id*} captures the rest (ids contain '/') */
  route(method: string, path: string, handler: Handler, o: { open?: boolean } = {}): void {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), handler, open: o.open ?? false });
  }

  upgrade(path: string, handler: UpgradeHandler): void {
    this.upgrades.set(path, handler);
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const a = this.server.address();
    const port = typeof a === 'object' && a ? a.port : this.opts.port;
    return { host: this.opts.host, port };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** actor name for a request's bearer token, or undefined when it is not allowed */
  authenticate(req: IncomingMessage): string | undefined {
    if (this.opts.tokens.size === 0) return 'anonymous';
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    let token = m?.[1];
    if (!token) {
      // browsers cannot set headers on WebSocket: allow ?access_token= for upgrades only
      const u = new URL(req.url ?? '/', 'http://x');
      token = req.headers.upgrade ? (u.searchParams.get('access_token') ?? undefined) : undefined;
    }
    if (!token) return undefined;
    for (const [t, actor] of this.opts.tokens) {
      const a = Buffer.from(t);
      const b = Buffer.from(token);
      if (a.length === b.length && timingSafeEqual(a, b)) return actor;
    }
    return undefined;
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    const segs = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    let methodMismatch = false;
    for (const r of this.routes) {
      const params: Record<string, string> = {};
      let ok = true;
      let i = 0;
      for (; i < r.parts.length; i++) {
        const p = r.parts[i];
        if (p.startsWith('{') && p.endsWith('*}')) {
          // greedy capture up to the remaining fixed suffix
          const rest = r.parts.length - i - 1;
          if (segs.length - i <= rest) {
            ok = false;
            break;
          }
          params[p.slice(1, -2)] = segs.slice(i, segs.length - rest).join('/');
          const tail = segs.slice(segs.length - rest);
          ok = tail.every((s, j) => {
            const q = r.parts[i + 1 + j];
            if (q.startsWith('{')) {
              params[q.slice(1, -1)] = s;
              return true;
            }
            return q === s;
          });
          i = r.parts.length;
          break;
        }
        if (i >= segs.length) {
          ok = false;
          break;
        }
        if (p.startsWith('{')) params[p.slice(1, -1)] = segs[i];
        else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (i === r.parts.length && (r.parts.some((p) => p.endsWith('*}')) || segs.length === r.parts.length)) {
        if (r.method !== method) {
          methodMismatch = true;
          continue;
        }
        return { route: r, params };
      }
    }
    return methodMismatch ? 'method' : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    try {
      const m = this.match(method, url.pathname);
      if (m === undefined) throw new HttpError(404, `no route for ${url.pathname}`);
      if (m === 'method') throw new HttpError(405, `${method} not allowed on ${url.pathname}`);
      let actor = 'anonymous';
      if (!m.route.open) {
        const a = this.authenticate(req);
        if (a === undefined) {
          res.setHeader('WWW-Authenticate', 'Bearer');
          throw new HttpError(401, 'missing or invalid bearer token');
        }
        actor = a;
      }
      const body = method === 'POST' || method === 'PUT' ? await readJson(req, this.opts.maxBodyBytes ?? 4 << 20) : undefined;
      const reply = await m.route.handler({ method, path: url.pathname, params: m.params, query: url.searchParams, body, raw: req, actor }, res);
      if ('handled' in reply) return;
      if ('json' in reply) send(res, reply.status ?? 200, 'application/json', JSON.stringify(reply.json));
      else send(res, reply.status ?? 200, reply.contentType ?? 'text/plain; charset=utf-8', reply.text);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) this.opts.log.error('api handler failed', { path: url.pathname, err: String(e) });
      if (!res.headersSent) send(res, status, 'application/json', JSON.stringify({ error: (e as Error).message }));
      else res.destroy();
    }
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const h = this.upgrades.get(url.pathname);
    if (!h) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const actor = this.authenticate(req);
    if (actor === undefined) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\n\r\n');
      return;
    }
    h(req, socket, head, actor);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let len = 0;
  for await (const c of req) {
    len += (c as Buffer).length;
    if (len > max) throw new HttpError(413, `body larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  if (len === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}
