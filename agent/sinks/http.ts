// One JSON POST over node:http(s) with a timeout, TLS options and a keep-alive
// agent, and the mapping from HTTP outcome to retryable / permanent DeliveryError.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { DeliveryError, SinkConfigError, type JsonSchema } from './types.ts';

/** HTTP keys shared by webhook, alertmanager and slack */
export interface HttpSinkOptions {
  url: string;
  /** sent as Authorization: Bearer … */
  bearerToken?: string;
  headers?: Record<string, string>;
  tls?: {
    /** PEM bundle inline, or a file path */
    ca?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    insecureSkipVerify?: boolean;
  };
}

export const httpOptionsSchema: Record<string, JsonSchema> = {
  url: { type: 'string', pattern: '^https?://' },
  // what an HTTP header can carry: a value Node would refuse at the first delivery
  // (a non-ASCII placeholder, a newline) is a config error, not a sink that never delivers
  bearerToken: { type: 'string', minLength: 1, pattern: '^[\\x21-\\x7e]+$' },
  headers: {
    type: 'object',
    propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
    additionalProperties: { type: 'string', pattern: '^[\\t\\x20-\\x7e]*$' },
  },
  tls: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ca: { type: 'string' },
      caFile: { type: 'string' },
      certFile: { type: 'string' },
      keyFile: { type: 'string' },
      insecureSkipVerify: { type: 'boolean' },
    },
  },
};

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** at most 4 KiB of the body, for error messages */
  text: string;
}

export interface HttpClient {
  post(body: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal, url?: string): Promise<HttpResponse>;
  close(): void;
}

export function createHttpClient(o: HttpSinkOptions): HttpClient {
  const base = new URL(o.url);
  const secure = base.protocol === 'https:';
  let agent: http.Agent;
  if (secure) {
    const t = o.tls ?? {};
    const read = (f: string | undefined): Buffer | undefined => {
      if (!f) return undefined;
      try {
        return readFileSync(f);
      } catch (e) {
        throw new SinkConfigError(`cannot read TLS file ${f}: ${(e as Error).message}`);
      }
    };
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: t.ca ?? read(t.caFile),
      cert: read(t.certFile),
      key: read(t.keyFile),
      rejectUnauthorized: !t.insecureSkipVerify,
    });
  } else {
    agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  }
  const fixed: Record<string, string> = { 'User-Agent': 'habitwatch', ...(o.headers ?? {}) };
  if (o.bearerToken) fixed.Authorization = `Bearer ${o.bearerToken}`;

  return {
    post(body, headers, timeoutMs, signal, url) {
      const target = url ? new URL(url) : base;
      const lib = target.protocol === 'https:' ? https : http;
      return new Promise<HttpResponse>((resolve, reject) => {
        const payload = Buffer.from(body);
        const req = lib.request(target, {
          method: 'POST',
          agent,
          headers: { ...fixed, ...headers, 'Content-Length': payload.length },
          signal,
        });
        const timer = setTimeout(() => req.destroy(new DeliveryError('timeout', `no response within ${timeoutMs} ms`, true)), timeoutMs);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let len = 0;
          res.on('data', (c: Buffer) => {
            if (len < 4096) chunks.push(c);
            len += c.length;
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8').slice(0, 4096) });
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(toDeliveryError(e));
          });
        });
        req.on('error', (e) => {
          clearTimeout(timer);
          reject(toDeliveryError(e));
        });
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function toDeliveryError(e: Error): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (e.name === 'AbortError') return new DeliveryError('aborted', 'delivery aborted (shutting down)', true);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return new DeliveryError('tls', `TLS error: ${code} ${e.message}`, true);
  return new DeliveryError('connection', `${code || e.name}: ${e.message}`, true);
}

/** Retry-After: delta seconds or an HTTP date; undefined when absent or unreadable */
export function parseRetryAfter(v: string | string[] | undefined, now: number): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\s*\d+\s*$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * 2xx: delivered. 408, 425, 429 and 5xx: try again later (honouring Retry-After).
 * Anything else (3xx — we do not follow redirects —, other 4xx): the receiver will
 * never take it; give up and say why.
 */
export function checkResponse(r: HttpResponse, now: number): void {
  if (r.status >= 200 && r.status < 300) return;
  const detail = `HTTP ${r.status}${r.text ? `: ${r.text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  const retryable = r.status >= 500 || r.status === 408 || r.status === 425 || r.status === 429;
  const reason = r.status >= 500 ? 'http_5xx' : r.status === 429 ? 'http_429' : `http_${r.status}`;
  throw new DeliveryError(reason, detail, retryable, retryable ? parseRetryAfter(r.headers['retry-after'], now) : undefined);
}
