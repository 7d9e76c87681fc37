// HTTP API: a small router over node:http(s). Every request passes, in order: target
// parsing (400/414), route match (404/405), concurrency and rate limits (429),
// authentication (401), authorisation (403), query and body checks (400/413/415),
// then its handler. Every error is JSON `{"error", "status"}`; a 500 only means a bug.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Logger } from '../../collector/log.ts';
import { HttpError, errorBody } from './errors.ts';
import { parseTarget, type Target } from './target.ts';
import { DEFAULT_LIMITS, InFlight, RateLimiter, type LimitsConfig } from './limits.ts';
import { bodyTypeOf, drain, readBody, type BodyType } from './body.ts';
import { loadPair, watchPair, type TlsConfig } from './tls.ts';
import type { Action, AuthProvider, Principal, Scope } from './auth/types.ts';
import { workloadScope } from './scope.ts';

export { HttpError };

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** parsed and schema-checked body (POST), or undefined */
  body: unknown;
  raw: IncomingMessage;
  /** who made the call, recorded as the actor of every change */
  actor: string;
  principal: Principal;
  /** the client's address, recorded with every change */
  remote: string;
}

export type Reply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; contentType?: string; headers?: Record<string, string> }
  | { handled: true };

export type Handler = (req: Request, res: ServerResponse) => Reply | Promise<Reply>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, actor: string) => void;

export interface RouteOptions {
  /** 'open': no authentication at all; otherwise the action the caller must be allowed */
  access: 'open' | Action;
  /** query parameters the route understands; anything else is a 400 */
  query?: readonly string[];
  /** JSON Schema of the body (POST); absent: the route takes no body */
  body?: Record<string, unknown>;
  bodyTypes?: readonly BodyType[];
  /** what the action is about, for authorisation (default: the workload in the path or query) */
  scope?: (req: Omit<Request, 'actor' | 'principal' | 'body'>) => Scope | Scope[] | Promise<Scope | Scope[]>;
  /** not counted against the per-client rate (probes) */
  unlimited?: boolean;
}

export interface ApiOptions {
  host: string;
  port: number;
  auth: AuthProvider;
  log: Logger;
  /** health and readiness probes */
  ready?: () => boolean;
  /** why not ready: sources not observing yet (shown by /readyz) */
  notObserving?: () => string[];
  limits?: Partial<LimitsConfig>;
  tls?: TlsConfig;
  now?: () => number;
  /** counts refused requests by status (metrics) */
  onRefused?: (status: number) => void;
  /** a changed certificate was loaded (true) or did not load (false) */
  onTlsReload?: (ok: boolean) => void;
  /** why not ready: other failing conditions by name, e.g. { storage: "commit failing since …" } */
  problems?: () => Record<string, string>;
}

export interface RouteInfo {
  method: string;
  path: string;
  access: 'open' | Action;
  query: readonly string[];
  hasBody: boolean;
  bodySchema?: Record<string, unknown>;
}

interface Route extends RouteInfo {
  parts: string[];
  handler: Handler;
  opts: RouteOptions;
  validate?: ValidateFunction;
}

const ajv = new Ajv2020({ allErrors: false, strict: false });

export class ApiServer {
  readonly server: Server;
  readonly scheme: 'http' | 'https';
  private routes: Route[] = [];
  private upgrades = new Map<string, UpgradeHandler>();
  private limits: LimitsConfig;
  private rate: RateLimiter;
  private inFlight: InFlight;
  private stopTls?: () => void;

  constructor(private opts: ApiOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.rate = new RateLimiter(this.limits, opts.now);
    this.inFlight = new InFlight(this.limits.maxInFlight);
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    if (opts.tls) {
      const s = createHttpsServer({ ...loadPair(opts.tls) }, onRequest);
      this.stopTls = watchPair(s, opts.tls, opts.log, opts.onTlsReload);
      this.server = s as unknown as Server;
      this.scheme = 'https';
    } else {
      this.server = createServer(onRequest);
      this.scheme = 'http';
    }
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
    // malformed HTTP (bad method, header overflow, garbage): a JSON 4xx, not a bare reset
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      this.opts.onRefused?.(status);
      rawReply(socket, status, `malformed HTTP request (${err.code ?? 'parse error'})`);
    });
    this.route('GET', '/healthz', () => ({ json: { ok: true } }), { access: 'open', unlimited: true });
    this.route(
      'GET',
      '/readyz',
      () => {
        const ok = this.opts.ready?.() ?? true;
        const waiting = this.opts.notObserving?.() ?? [];
        const problems = this.opts.problems?.() ?? {};
        return {
          status: ok ? 200 : 503,
          json: { ready: ok, ...(waiting.length > 0 ? { notObserving: waiting } : {}), ...(Object.keys(problems).length > 0 ? { problems } : {}) },
        };
      },
      { access: 'open', unlimited: true },
    );
  }

  /** path segments like {id} become params; {id*} captures several segments (ids contain '/') */
  route(method: string, path: string, handler: Handler, o: RouteOptions): void {
    const r: Route = {
      method,
      path,
      parts: path.split('/').filter(Boolean),
      handler,
      opts: o,
      access: o.access,
      query: o.query ?? [],
      hasBody: o.body !== undefined,
      bodySchema: o.body,
    };
    if (o.body) r.validate = ajv.compile(o.body);
    this.routes.push(r);
  }

  /** every route, for the OpenAPI conformance test and the docs */
  routeList(): RouteInfo[] {
    return this.routes.map(({ method, path, access, query, hasBody, bodySchema }) => ({ method, path, access, query, hasBody, bodySchema }));
  }

  upgrade(path: string, handler: UpgradeHandler): void {
    this.upgrades.set(path, handler);
  }

  /** paths served as WebSocket upgrades */
  upgradeList(): string[] {
    return [...this.upgrades.keys()];
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
    this.stopTls?.();
    this.opts.auth.close?.();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private match(method: string, segs: string[]): { route: Route; params: Record<string, string> } | { allow: string[] } | undefined {
    const allow = new Set<string>();
    for (const r of this.routes) {
      const params = matchParts(r.parts, segs);
      if (params === undefined) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { route: r, params };
      allow.add(r.method);
    }
    return allow.size > 0 ? { allow: [...allow] } : undefined;
  }

  private async principalOf(req: IncomingMessage, t: Target | undefined, upgrade: boolean): Promise<Principal> {
    // the API server's pod proxy strips Authorization: the kubectl plugin sends the
    // caller's token in X-Habitwatch-Authorization instead (same format)
    const x = req.headers['x-habitwatch-authorization'];
    const h = req.headers.authorization ?? (Array.isArray(x) ? x.join(',') : x);
    let token: string | undefined;
    if (h !== undefined) {
      const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(h);
      if (!m) throw new HttpError(401, 'Authorization must be "Bearer <token>"', { 'WWW-Authenticate': 'Bearer' });
      token = m[1];
    } else if (upgrade) {
      // browsers cannot set headers on a WebSocket: ?access_token= for upgrades only
      token = t?.query.get('access_token') ?? undefined;
    }
    const p = await this.opts.auth.authenticate(token);
    if (!p) throw new HttpError(401, token === undefined ? 'a bearer token is required' : 'invalid bearer token', { 'WWW-Authenticate': 'Bearer' });
    return p;
  }

  private admit(req: IncomingMessage, unlimited: boolean): void {
    if (unlimited) return;
    const wait = this.rate.take(req.socket.remoteAddress ?? '?');
    if (wait > 0) throw new HttpError(429, 'too many requests from this address; slow down', { 'Retry-After': String(wait) });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let path = '?';
    try {
      if (!this.inFlight.enter()) throw new HttpError(429, 'too many requests in flight; retry shortly', { 'Retry-After': '1' });
      res.once('close', () => this.inFlight.leave());
      const t = parseTarget(req.url);
      path = t.path;
      const m = this.match(method, t.segments);
      if (m === undefined && this.upgrades.has(t.path)) throw new HttpError(426, `${t.path} is a WebSocket endpoint: send an Upgrade: websocket request`, { Upgrade: 'websocket' });
      if (m === undefined) throw new HttpError(404, `no route for ${t.path}`);
      if ('allow' in m) throw new HttpError(405, `${method} not allowed on ${t.path} (allowed: ${m.allow.join(', ')})`, { Allow: m.allow.join(', ') });
      const { route, params } = m;
      this.admit(req, route.opts.unlimited === true);
      const remote = req.socket.remoteAddress ?? '';
      const base = { method, path: t.path, params, query: t.query, raw: req, remote };
      let principal: Principal = { name: 'anonymous', via: 'anonymous' };
      if (route.access !== 'open') {
        principal = await this.principalOf(req, t, false);
        const scopes = await (route.opts.scope ?? defaultScope)(base);
        for (const scope of Array.isArray(scopes) ? scopes : [scopes]) {
          if (!(await this.opts.auth.authorize(principal, route.access, scope))) {
            // a refused change is worth a line in the log: someone tried to change detection
            if (route.access !== 'get' && route.access !== 'list') this.opts.log.warn('api change refused', { actor: principal.name, via: principal.via, action: route.access, path: t.path, remote });
            throw new HttpError(403, `${principal.name} may not ${route.access} ${describeScope(scope)}`);
          }
        }
      }
      checkQuery(t.query, route.query);
      let body: unknown;
      if (route.validate) {
        body = await readBody(req, this.limits.maxBodyBytes, bodyTypeOf(req, route.opts.bodyTypes ?? ['json']));
        if (body === undefined) body = {};
        if (!route.validate(body)) throw new HttpError(400, `body${ajvMessage(route.validate)}`);
      } else if (method === 'POST' || method === 'PUT') {
        const cl = Number(req.headers['content-length'] ?? 0);
        if (cl > 0 || req.headers['transfer-encoding']) throw new HttpError(400, `${method} ${route.path} takes no body`);
      }
      const reply = await route.handler({ ...base, body, actor: principal.name, principal }, res);
      if ('handled' in reply) return;
      if ('json' in reply) send(res, reply.status ?? 200, 'application/json', JSON.stringify(reply.json), reply.headers);
      else send(res, reply.status ?? 200, reply.contentType ?? 'text/plain; charset=utf-8', reply.text, reply.headers);
    } catch (e) {
      const he = e instanceof HttpError ? e : undefined;
      const status = he?.status ?? 500;
      if (status === 500) this.opts.log.error('api handler failed', { method, path, err: (e as Error)?.stack ?? String(e) });
      else this.opts.onRefused?.(status);
      const message = he ? he.message : 'internal error (logged by the agent)';
      if (!res.headersSent) {
        send(res, status, 'application/json', errorBody(status, message), he?.headers);
        if (he?.headers.Connection === 'close') drain(req);
      } else res.destroy();
    }
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const t = parseTarget(req.url);
      const h = this.upgrades.get(t.path);
      if (!h) throw new HttpError(404, `no WebSocket endpoint at ${t.path}`);
      this.admit(req, false);
      const p = await this.principalOf(req, t, true);
      const ns = t.query.get('namespace') ?? undefined;
      if (!(await this.opts.auth.authorize(p, 'list', ns ? { namespace: ns } : {}))) throw new HttpError(403, `${p.name} may not list ${ns ?? 'all namespaces'}`);
      h(req, socket, head, p.name);
    } catch (e) {
      const he = e instanceof HttpError ? e : new HttpError(500, 'internal error');
      if (he.status === 500) this.opts.log.error('api upgrade failed', { err: String(e) });
      else this.opts.onRefused?.(he.status);
      rawReply(socket, he.status, he.message, he.headers);
    }
  }
}

/** params when a route's parts match the segments; {x*} captures 1+ segments */
function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const star = parts.findIndex((p) => p.endsWith('*}'));
  if (star < 0 ? segs.length !== parts.length : segs.length < parts.length) return undefined;
  const fixed = (p: string, s: string): boolean => {
    if (p.startsWith('{')) {
      params[p.slice(1, -1)] = s;
      return true;
    }
    return p === s;
  };
  if (star < 0) return parts.every((p, i) => fixed(p, segs[i])) ? params : undefined;
  const after = parts.length - star - 1;
  for (let i = 0; i < star; i++) if (!fixed(parts[i], segs[i])) return undefined;
  for (let j = 0; j < after; j++) if (!fixed(parts[star + 1 + j], segs[segs.length - after + j])) return undefined;
  params[parts[star].slice(1, -2)] = segs.slice(star, segs.length - after).join('/');
  return params;
}

function defaultScope(req: { params: Record<string, string>; query: URLSearchParams }): Scope {
  if (req.params.id !== undefined) return workloadScope(req.params.id);
  const w = req.query.get('workload');
  if (w) return workloadScope(w);
  const ns = req.query.get('namespace');
  return ns ? { namespace: ns } : {};
}

function describeScope(s: Scope): string {
  if (s.nonResource) return s.nonResource;
  return `${s.name ? `workload baseline ${s.name}` : 'workload baselines'} ${s.namespace ? `in namespace ${s.namespace}` : 'cluster-wide'}`;
}

function checkQuery(q: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const k of q.keys()) {
    if (!allowed.includes(k)) throw new HttpError(400, `unknown query parameter "${k}"${allowed.length ? ` (known: ${allowed.join(', ')})` : ' (this route takes none)'}`);
    if (seen.has(k)) throw new HttpError(400, `query parameter "${k}" given more than once`);
    seen.add(k);
  }
}

function ajvMessage(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return ' is invalid';
  const at = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const extra =
    e.keyword === 'additionalProperties'
      ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
      : e.keyword === 'enum'
        ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
        : e.keyword === 'const'
          ? ` ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`
          : '';
  // a bad key of an object (propertyNames): name it
  const key = e.propertyName !== undefined ? ` key ${JSON.stringify(e.propertyName)}:` : '';
  return `${at ? '.' + at : ''}:${key} ${e.message ?? 'is invalid'}${extra}`;
}

const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 414: 'URI Too Long', 426: 'Upgrade Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error' };

/** an HTTP response written straight to a socket (upgrades, parse errors) */
function rawReply(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = errorBody(status, message);
  const extra = Object.entries(headers)
    .filter(([k]) => k.toLowerCase() !== 'connection')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
}
