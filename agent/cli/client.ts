// How CLI commands reach an agent: its HTTP(S) API (--api, a token), the database file
// while it is stopped (--db), or — as the kubectl plugin — a node's agent through the
// Kubernetes API server's pod proxy (kube.ts). Every failure becomes a typed error
// with one line of text (errors.ts), never a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
// ws is loaded when a stream is opened: other commands (and every --help) skip it
import type { WebSocket, ClientOptions as WsOptions } from 'ws';
import { ApiCallError, UnreachableError, UsageError } from './errors.ts';
import { mode } from './mode.ts';

export interface ClientOptions {
  api?: string;
  token?: string;
  'token-file'?: string;
  db?: string;
  ca?: string;
  insecure?: boolean;
}

export interface Client {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown, contentType?: string): Promise<unknown>;
  /** a WebSocket to a stream path (with the query) */
  stream(pathAndQuery: string): Promise<WebSocket>;
  /** where it talks to, for messages */
  readonly where: string;
  close(): void;
}

export const clientOptionSpec = {
  api: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  db: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEFAULT_API = 'http://127.0.0.1:7420';

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/**
 * The token: --token, --token-file, $HABITWATCH_TOKEN, $HABITWATCH_TOKEN_FILE, else for a
 * loopback agent the admin token a tokenless agent wrote to its data directory
 * ($HABITWATCH_DATA_DIR or ./.habitwatch, /api-token): whoever can read it may use it.
 */
export function findToken(o: ClientOptions, base: URL): string | undefined {
  const read = (f: string, what: string, optional = false): string | undefined => {
    try {
      return readFileSync(f, 'utf8').trim() || undefined;
    } catch (e) {
      if (optional) return undefined;
      throw new UsageError(`${what} ${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  if (o.token !== undefined) return o.token;
  if (o['token-file'] !== undefined) return read(o['token-file'], '--token-file');
  if (process.env.HABITWATCH_TOKEN) return process.env.HABITWATCH_TOKEN;
  if (process.env.HABITWATCH_TOKEN_FILE) return read(process.env.HABITWATCH_TOKEN_FILE, '$HABITWATCH_TOKEN_FILE');
  if (!isLoopback(base.hostname)) return undefined;
  return read(join(process.env.HABITWATCH_DATA_DIR ?? '.habitwatch', 'api-token'), '', true);
}

export function parseApiUrl(v: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--api: not a URL: ${JSON.stringify(v)} (like http://127.0.0.1:7420)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--api: must be http:// or https:// (got ${u.protocol})`);
  if (u.search || u.hash || u.username || u.password) throw new UsageError('--api: give scheme, host, port and path only (no query, fragment or credentials)');
  return u;
}

/** what a connection failure means, in one line */
function unreachable(where: string, e: NodeJS.ErrnoException): UnreachableError {
  const code = e.code ?? '';
  const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : /CERT|TLS|SSL|SELF_SIGNED/i.test(code + e.message) ? `TLS: ${e.message}` : e.message;
  return new UnreachableError(`cannot reach the agent at ${where} (${why}); is it running? (--api URL, or --db FILE while it is stopped)`);
}

export interface HttpTarget {
  /** base URL every API path is appended to */
  base: URL;
  headers: Record<string, string>;
  tls: Pick<RequestOptions & { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean }, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  where: string;
}

export function httpClient(t: HttpTarget, onClose: () => void = () => {}): Client {
  const call = (method: string, path: string, body?: string, contentType = 'application/json'): Promise<unknown> =>
    new Promise((resolve, reject) => {
      // the path as given: a URL object would resolve "a/../b" and send another request than asked
      const full = t.base.pathname.replace(/\/$/, '') + path;
      const https = t.base.protocol === 'https:';
      const headers: Record<string, string> = { accept: 'application/json', ...t.headers };
      if (body !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const target = { protocol: t.base.protocol, hostname: t.base.hostname.replace(/^\[|\]$/g, ''), port: t.base.port || (https ? 443 : 80), path: full };
      const req = (https ? httpsRequest : httpRequest)({ ...target, method, headers, timeout: 30_000, ...(https ? t.tls : {}) }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json ?? text);
          const msg = (json as { error?: string; message?: string } | undefined)?.error ?? (json as { message?: string } | undefined)?.message ?? text.trim().split('\n')[0].slice(0, 300);
          reject(new ApiCallError(status, `${method} ${path}: ${status} ${msg}`));
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 30 s'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(unreachable(t.where, e as NodeJS.ErrnoException)));
      req.end(body);
    });
  return {
    where: t.where,
    get: (p) => call('GET', p),
    post: (p, b, ct) => call('POST', p, typeof b === 'string' ? b : JSON.stringify(b ?? {}), ct),
    async stream(pq) {
      const url = new URL(t.base.pathname.replace(/\/$/, '') + pq, t.base);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const { WebSocket: Ws } = await import('ws');
      const ws = new Ws(url, { headers: t.headers, ...(t.tls as WsOptions) });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d));
          res.on('end', () => {
            let m = text;
            try {
              m = (JSON.parse(text) as { error?: string }).error ?? text;
            } catch {
              /* not JSON */
            }
            reject(new ApiCallError(res.statusCode ?? 0, `stream: ${res.statusCode} ${m.trim().slice(0, 300)}`));
          });
        });
        ws.once('error', (e) => reject(unreachable(t.where, e as NodeJS.ErrnoException)));
      });
      return ws;
    },
    close: onClose,
  };
}

export async function connect(o: ClientOptions & Record<string, unknown>): Promise<Client> {
  if (o.db !== undefined) return (await import('./local.ts')).dbClient(o.db);
  if (mode.plugin && o.api === undefined && process.env.HABITWATCH_API === undefined) return (await import('./kube.ts')).kubeClient(o as import('./kube.ts').KubeOptions);
  const base = parseApiUrl(o.api ?? process.env.HABITWATCH_API ?? DEFAULT_API);
  const token = findToken(o, base);
  let ca: Buffer | undefined;
  if (o.ca !== undefined) {
    if (!existsSync(o.ca)) throw new UsageError(`--ca ${o.ca}: no such file`);
    ca = readFileSync(o.ca);
  }
  return httpClient({
    base,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    tls: { ...(ca ? { ca } : {}), ...(o.insecure ? { rejectUnauthorized: false } : {}) },
    where: base.origin,
  });
}
