// Assembles the long-lived agent from a validated config: store, models, sources,
// pipeline, API, delivery. Start order: store → models → API → sinks → sources;
// stop order is the reverse, and baselines are flushed last.
import { createLogger } from '../collector/logger.ts';
import type { Logger } from '../collector/log.ts';
import { MemoryStats } from '../collector/stats.ts';
import { createEnricher, type EnrichStep } from '../collector/enrich/index.ts';
import { sources as registry } from '../collector/sources/index.ts';
import type { EventBatches, SourceDefinition } from '../collector/sources/types.ts';
import { Profiler } from '../models/baseline/profiler.ts';
import { Engine } from '../models/engine.ts';
import { rules } from '../models/rules/index.ts';
import type { AgentConfig } from './config/load.ts';
import type { Db } from './store/db.ts';
import { openStore, superviseStore } from './store/open.ts';
import { Retention } from './store/retention.ts';
import { prepareDataDir } from './store/datadir.ts';
import { AlertStore } from './store/alerts.ts';
import { BaselineStore } from './store/baselines.ts';
import { sqliteSourceState } from './store/source-state.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { Bus } from './bus.ts';
import { Pipeline } from './pipeline.ts';
import { ApiServer } from './api/server.ts';
import { registerRoutes } from './api/routes/index.ts';
import { apiKubeConfig, createAuth } from './api/auth/index.ts';
import { kubeSelectors } from './respond/export/selectors.ts';
import { Responder } from './respond/responder.ts';
import { AuditStore } from './store/audit.ts';
import { wireOptional } from './wiring.ts';
import { Readiness } from './readiness.ts';
import { SelfAlerts, thisAgent } from './self-alerts.ts';
import { StoreHealth } from './store/health.ts';
import { monitorLoop } from './loop-health.ts';


export interface AgentHandle {
  config: AgentConfig;
  db: Db;
  metrics: Metrics;
  bus: Bus;
  profiler: Profiler;
  alerts: AlertStore;
  responder: Responder;
  api?: ApiServer;
  apiPort?: number;
  sources: string[];
  /** resolves when the pipeline has stopped (sources ended or stop() called) */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, opts: { log?: Logger; now?: () => number; enrichSteps?: EnrichStep[] } = {}): Promise<AgentHandle> {
  const log = opts.log ?? createLogger({ level: config.log.level, base: { node: config.node } });
  const now = opts.now ?? Date.now;
  // a clear error before anything else when the data directory is unusable; private files
  for (const w of prepareDataDir(config.dataDir).warnings) log.warn(w);
  const store = openStore(config.dataDir);
  const db = store.db;
  const metrics = createMetrics();
  const stats = new MemoryStats();
  stats.forward(metrics.sourceStats);
  const bus = new Bus();

  const baselineStore = new BaselineStore(db);
  // baselines are read when their workload shows up, not all at start; at most
  // store.maxBaselinesInMemory stay in memory
  const profiler = new Profiler(config.learning, { maxInMemory: config.store.maxBaselinesInMemory, idleMs: config.store.idleBaselineMs, source: baselineStore });
  const engine = new Engine(profiler, rules, config.engine);
  metrics.watchEngine(engine);
  const alerts = new AlertStore(db);
  engine.restoreOpen(alerts.openSince(now() - config.engine.cooldownMs, config.engine.maxOpenAlerts));
  engine.incidents?.restore(alerts.incidents.openSince(now() - config.engine.incidents.windowMs, config.engine.incidents.maxOpen));
  // the Kubernetes API for the responder API's own questions (reviews, pod selectors)
  const apiKube = await apiKubeConfig(config);
  const responder = new Responder({
    profiler,
    learning: config.learning,
    store: baselineStore,
    alerts,
    audit: new AuditStore(db),
    forget: (k) => engine.forget(k),
    ...(apiKube ? { selectors: await kubeSelectors(apiKube) } : {}),
    now,
  });
  log.info('store opened', { baselines: baselineStore.count(), alerts: alerts.count() });
  // the agent's alerts about itself go through the same store, outbox and sinks
  const selfAlerts = new SelfAlerts({
    who: thisAgent(config.node),
    now,
    cooldownMs: config.engine.cooldownMs,
    log: log.child({ component: 'self' }),
    commit: (u) => alerts.commit(u),
    bus,
    metrics,
  });
  const health = new StoreHealth({ log: log.child({ component: 'store' }), now, metrics, self: selfAlerts });
  const loop = monitorLoop(metrics.registry, selfAlerts);

  const chosen = await chooseSources(config, log);
  const optional = await wireOptional({ config, db, alerts, metrics, bus, log, observesHost: chosen.some((s) => s.observesHost === true), selfAlerts, profiler });
  const enricher = createEnricher([...optional.enrichSteps, ...(opts.enrichSteps ?? [])], { ...(optional.holdMs !== undefined ? { holdMs: optional.holdMs } : {}), ...(optional.fill ? { fill: optional.fill } : {}), now });
  optional.attachEnricher?.(enricher);
  // delivery is wired: a missing or replaced database can be reported as a self-alert now
  const guard = superviseStore(store, { log: log.child({ component: 'store' }), now, health, self: selfAlerts, metrics });
  const retention = new Retention({ db, cfg: config.store.retention, release: (k) => profiler.release(k), health, self: selfAlerts, metrics });
  retention.start();

  let api: ApiServer | undefined;
  let apiPort: number | undefined;
  const readiness = new Readiness(chosen.filter((s) => s.reportsObserving).map((s) => s.name));
  readiness.check('storage', () => health.problem());
  if (config.api.enabled) {
    const auth = await createAuth(config.api, config.dataDir, log, apiKube);
    api = new ApiServer({
      host: config.api.host,
      port: config.api.port,
      auth,
      log: log.child({ component: 'api' }),
      ready: () => readiness.ready,
      notObserving: () => readiness.notObserving(),
      limits: config.api.limits,
      tls: config.api.tls,
      onRefused: (status) => metrics.apiRefused.inc({ status: String(status) }),
      onTlsReload: (ok) => metrics.apiTlsReloads.inc({ result: ok ? 'ok' : 'failed' }),
      problems: () => readiness.problems(),
    });
    registerRoutes(api, { responder, registry: metrics.registry, openMetrics: config.api.openMetrics });
    optional.registerApi?.(api);
    const addr = await api.listen();
    apiPort = addr.port;
    log.info('api listening', { host: addr.host, port: addr.port, scheme: api.scheme, auth: auth.describe() });
  }
  loop.started();

  const ac = new AbortController();
  const inputs: { name: string; batches: EventBatches }[] = chosen.map((def) => ({
    name: def.name,
    batches: def.live!(config.sources.settings[def.name], {
      node: config.node,
      signal: ac.signal,
      log: log.child({ source: def.name }),
      stats,
      state: sqliteSourceState(db, def.name),
      now,
      observing: (ok: boolean) => {
        readiness.observing(def.name, ok);
        if (ok) log.info('source observing', { source: def.name, agentReady: readiness.ready });
        else log.warn('source not observing', { source: def.name });
      },
    }),
  }));
  const pipeline = new Pipeline({
    engine,
    enricher,
    log,
    now,
    alerts,
    baselines: baselineStore,
    metrics,
    bus,
    flushIntervalMs: config.store.flushIntervalMs,
    ...(optional.late ? { late: optional.late } : {}),
    health,
    selfAlerts,
    node: config.node,
    isOwn: optional.isOwn,
    storeUsable: () => db.usableNow,
  });
  log.info('sources started', { sources: chosen.map((s) => s.name) });
  readiness.setStarted(true);
  const done = pipeline.run(inputs, ac.signal).catch((e) => log.error('pipeline failed', { err: String(e) }));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      readiness.setStarted(false);
      ac.abort();
      await done;
      await optional.stop();
      await api?.close();
      try {
        pipeline.flush();
      } catch (e) {
        log.error('final baseline flush failed: changes since the last flush are lost', { err: String(e) });
      }
      enricher.close();
      loop.stop();
      guard.stop();
      retention.stop();
      db.close();
      log.info('agent stopped');
    })());
  return { config, db, metrics, bus, profiler, alerts, responder, api, apiPort, sources: chosen.map((s) => s.name), done, stop };
}

async function chooseSources(config: AgentConfig, log: Logger): Promise<SourceDefinition<unknown>[]> {
  const byName = new Map(registry.map((s) => [s.name, s]));
  const enabled = config.sources.enabled;
  if (enabled !== 'auto') {
    const out: SourceDefinition<unknown>[] = [];
    for (const name of enabled) {
      const def = byName.get(name)!;
      if (!def.live) throw new Error(`source ${name} has no live mode`);
      const ok = (await def.available?.(config.sources.settings[name], { log })) ?? true;
      if (ok !== true) log.warn('source may not work here', { source: name, reason: ok });
      out.push(def);
    }
    return out;
  }
  // live sources with an autoRank, lowest first (SourceDefinition.autoRank)
  const ranked = registry.filter((d) => d.live && d.autoRank !== undefined).sort((a, b) => a.autoRank! - b.autoRank!);
  for (const def of ranked) {
    const name = def.name;
    const ok = (await def.available?.(config.sources.settings[name], { log })) ?? true;
    if (ok === true) {
      log.info('source selected automatically', { source: name });
      return [def];
    }
    log.info('source not available', { source: name, reason: ok });
  }
  log.warn('no live source available: the agent serves its API and stored baselines only');
  return [];
}
