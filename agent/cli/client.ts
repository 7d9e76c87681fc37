// How CLI commands reach baselines and alerts: a running agent's API, or (with
// --db) the database file directly while the agent is stopped.
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { HttpError } from '../api/server.ts';
import { UsageError } from './errors.ts';

export interface ClientOptions {
  api?: string;
  token?: string;
  db?: string;
}

export interface Client {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
  close(): void;
}

export const clientOptionSpec = {
  api: { type: 'string' },
  token: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function connect(o: ClientOptions): Promise<Client> {
  if (o.db !== undefined) return dbClient(o.db);
  const base = (o.api ?? process.env.HABITWATCH_API ?? 'http://127.0.0.1:7420').replace(/\/$/, '');
  const token = o.token ?? process.env.HABITWATCH_TOKEN ?? localToken(base);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new UsageError(`cannot reach the agent API at ${base} (${(e as Error).cause ?? (e as Error).message}); is the agent running? (--api URL, or --db FILE when it is stopped)`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw new UsageError(`${method} ${path}: ${res.status} ${(json as { error?: string } | undefined)?.error ?? text}`);
    return json;
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), close() {} };
}

/**
 * The admin token a tokenless agent generated into its data directory (0600): used for
 * a loopback agent when no token is given, so the user who runs the agent can also
 * change baselines ($HABITWATCH_TOKEN_FILE, else $HABITWATCH_DATA_DIR or ./.habitwatch).
 */
function localToken(base: string): string | undefined {
  const file = process.env.HABITWATCH_TOKEN_FILE ?? join(process.env.HABITWATCH_DATA_DIR ?? '.habitwatch', 'api-token');
  try {
    const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
    if (process.env.HABITWATCH_TOKEN_FILE === undefined && !(host === 'localhost' || host === '::1' || host.startsWith('127.'))) return undefined;
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Serve the same routes in-process over the database file (no agent running). */
async function dbClient(file: string): Promise<Client> {
  const path = existsSync(file) && !file.endsWith('.db') ? join(file, 'habitwatch.db') : file;
  if (!existsSync(path)) throw new UsageError(`database ${path} does not exist`);
  const { openDatabase } = await import('../store/db.ts');
  const { BaselineStore } = await import('../store/baselines.ts');
  const { AlertStore } = await import('../store/alerts.ts');
  const { Profiler } = await import('../../models/baseline/profiler.ts');
  const { DEFAULT_LEARNING } = await import('../../models/baseline/baseline.ts');
  const { Responder } = await import('../respond/responder.ts');
  const { AuditStore } = await import('../store/audit.ts');
  const { ApiServer } = await import('../api/server.ts');
  const { registerRoutes } = await import('../api/routes/index.ts');
  const { staticTokenAuth } = await import('../api/auth/tokens.ts');
  const { createMetrics } = await import('../metrics.ts');
  const { silentLogger } = await import('../../collector/log.ts');
  const { randomBytes } = await import('node:crypto');
  const { userInfo } = await import('node:os');
  const db = openDatabase(path);
  const store = new BaselineStore(db);
  const profiler = new Profiler(DEFAULT_LEARNING);
  for (const b of store.loadAll()) profiler.load(b);
  const alerts = new AlertStore(db);
  const responder = new Responder({ profiler, learning: DEFAULT_LEARNING, store, alerts, audit: new AuditStore(db), now: Date.now });
  // whoever can open the database file may change it: the same routes, as admin, behind a
  // one-time token so no other local user can reach this in-process server meanwhile
  const token = randomBytes(24).toString('base64url');
  const api = new ApiServer({ host: '127.0.0.1', port: 0, auth: staticTokenAuth([{ name: `${userInfo().username}@local`, role: 'admin', token }]), log: silentLogger });
  registerRoutes(api, { responder, registry: createMetrics({ defaultMetrics: false }).registry });
  const { port } = await api.listen();
  const http = await connect({ api: `http://127.0.0.1:${port}`, token });
  return {
    get: http.get,
    post: http.post,
    close() {
      void api.close();
      db.close();
    },
  };
}

export { HttpError };
