// Optional parts of the agent: delivery (sinks, outbox), live stream, host
// attribution. Kept in one place so agent.ts reads as the start/stop order.
import type { Logger } from '../collector/log.ts';
import type { EnrichStep } from '../collector/enrich/index.ts';
import type { AgentConfig } from './config/load.ts';
import type { Db } from './store/db.ts';
import type { AlertStore } from './store/alerts.ts';
import type { Metrics } from './metrics.ts';
import type { Bus } from './bus.ts';
import type { ApiServer } from './api/server.ts';

export interface Optional {
  enrichSteps: EnrichStep[];
  registerApi?: (api: ApiServer) => void;
  stop(): Promise<void>;
}

export async function wireOptional(_deps: { config: AgentConfig; db: Db; alerts: AlertStore; metrics: Metrics; bus: Bus; log: Logger }): Promise<Optional> {
  return { enrichSteps: [], stop: async () => {} };
}
