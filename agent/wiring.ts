// Optional parts of the agent: delivery (sinks, outbox), live stream, host
// attribution. Kept in one place so agent.ts reads as the start/stop order.
import type { Logger } from '../collector/log.ts';
import type { EnrichStep } from '../collector/enrich/index.ts';
import { createProcfsAttribution } from '../collector/enrich/attribution.ts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverSelf, isOwnEvent } from '../collector/enrich/self.ts';
import type { RuntimeEvent } from '../collector/event.ts';
import type { AgentConfig } from './config/load.ts';
import type { Db } from './store/db.ts';
import type { AlertStore } from './store/alerts.ts';
import type { Metrics } from './metrics.ts';
import type { Bus } from './bus.ts';
import type { ApiServer } from './api/server.ts';
import { startDelivery, type SinkConfigInput } from './sinks/index.ts';
import { registerStream } from './api/stream.ts';
import type { SelfAlerts } from './self-alerts.ts';
import { wireKubernetes } from './kube/wire.ts';
import type { Enricher } from '../collector/enrich/index.ts';
import type { Profiler } from '../models/baseline/profiler.ts';
import type { Late } from './moves.ts';

export interface Optional {
  enrichSteps: EnrichStep[];
  /** names what the input left unnamed (EnricherOptions.fill) */
  fill?: EnrichStep;
  /** longest hold of an event whose pod the API has not reported yet */
  holdMs?: number;
  /** the enricher built from enrichSteps (Kubernetes reports its held events) */
  attachEnricher?(e: Enricher): void;
  /** the agent's own events (itself, its children, its own cgroup or pod): not judged */
  isOwn: (ev: RuntimeEvent) => boolean;
  /** cluster baseline items a local enforcing baseline did not take (the pipeline judges them) */
  late?: () => Late[];
  registerApi?: (api: ApiServer) => void;
  stop(): Promise<void>;
}

export async function wireOptional(deps: {
  config: AgentConfig;
  db: Db;
  alerts: AlertStore;
  metrics: Metrics;
  bus: Bus;
  log: Logger;
  /** a chosen source observes this very host (SourceDefinition.observesHost): attribute through /proc */
  observesHost: boolean;
  /** deliveries dropped on purpose are announced as self-alerts */
  selfAlerts?: SelfAlerts;
  /** the baselines the WorkloadBaseline sync keeps in step with the cluster */
  profiler?: Profiler;
}): Promise<Optional> {
  const { config, db, alerts, metrics, bus, log, selfAlerts } = deps;
  // delivery first: its outbox hook must be in place before the first alert commits
  const delivery = startDelivery({
    db,
    alerts,
    metrics,
    log,
    sinks: config.sinks as readonly SinkConfigInput[],
    onDrop: (sink, reason, n) => selfAlerts?.note('alerts-dropped', `deliveries to sink ${sink} dropped (${reason === 'overflow' ? 'maxQueue' : 'maxAge'})`, n),
  });
  let stream: { close(): void } | undefined;
  const host = deps.observesHost;
  const self = discoverSelf({ pid: process.pid, env: process.env, hostSources: host, cliScripts: cliScripts() });
  log.info('own processes excluded', { pid: self.pid, cgroup: self.cgroupPath, pod: self.pod && `${self.pod.namespace}/${self.pod.name}` });
  const kube = await wireKubernetes({ config, log, metrics, hostSources: host, ...(deps.profiler ? { profiler: deps.profiler } : {}) });
  return {
    // attribution first: Kubernetes identity reads the cgroup path it finds
    enrichSteps: [...(host ? [createProcfsAttribution()] : []), ...kube.enrichSteps],
    ...(kube.fill ? { fill: kube.fill } : {}),
    holdMs: kube.holdMs,
    attachEnricher: kube.attachEnricher,
    isOwn: (ev) => isOwnEvent(ev, self),
    ...(kube.late ? { late: kube.late } : {}),
    registerApi(api) {
      stream = registerStream(api, bus, { log, metrics });
    },
    async stop() {
      stream?.close();
      await kube.stop();
      await delivery.stop();
    },
  };
}

/** this package's command scripts (package.json "bin"), found from this module up */
function cliScripts(): string[] {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; bin?: Record<string, string> };
      if (pkg.name === 'habitwatch') return Object.values(pkg.bin ?? {}).map((b) => join(dir, b));
    } catch {
      /* no package.json here */
    }
  }
  return [];
}
