// `--db FILE|DIR`: the same API routes served in-process over the database file, for
// when the agent is stopped. Whoever can open the file may change it: the caller is
// admin, as `<user>@local`, behind a one-time token on a loopback port so no other
// local user can reach the in-process server meanwhile.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { UsageError } from './errors.ts';
import { httpClient, type Client } from './client.ts';

export async function dbClient(file: string): Promise<Client> {
  const path = existsSync(file) && statSync(file).isDirectory() ? join(file, 'habitwatch.db') : file;
  if (!existsSync(path)) throw new UsageError(`--db: database ${path} does not exist`);
  const { openDatabase } = await import('../store/db.ts');
  const { BaselineStore } = await import('../store/baselines.ts');
  const { AlertStore } = await import('../store/alerts.ts');
  const { AuditStore } = await import('../store/audit.ts');
  const { Profiler } = await import('../../models/baseline/profiler.ts');
  const { DEFAULT_LEARNING } = await import('../../models/baseline/baseline.ts');
  const { Responder } = await import('../respond/responder.ts');
  const { ApiServer } = await import('../api/server.ts');
  const { registerRoutes } = await import('../api/routes/index.ts');
  const { staticTokenAuth } = await import('../api/auth/tokens.ts');
  const { createMetrics } = await import('../metrics.ts');
  const { silentLogger } = await import('../../collector/log.ts');
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(path);
  } catch (e) {
    throw new UsageError(`--db: ${(e as Error).message}`);
  }
  const store = new BaselineStore(db);
  // baselines read as a command needs them, not all at once
  const profiler = new Profiler(DEFAULT_LEARNING, { source: store });
  const alerts = new AlertStore(db);
  const responder = new Responder({ profiler, learning: DEFAULT_LEARNING, store, alerts, audit: new AuditStore(db), now: Date.now });
  const token = randomBytes(24).toString('base64url');
  const api = new ApiServer({ host: '127.0.0.1', port: 0, auth: staticTokenAuth([{ name: `${userInfo().username}@local`, role: 'admin', token, via: 'local' }]), log: silentLogger });
  registerRoutes(api, { responder, registry: createMetrics({ defaultMetrics: false }).registry });
  const { port } = await api.listen();
  return httpClient({ base: new URL(`http://127.0.0.1:${port}`), headers: { authorization: `Bearer ${token}` }, tls: {}, where: path }, () => {
    void api.close();
    db.close();
  });
}
