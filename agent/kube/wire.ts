// Kubernetes in the agent: identity enrichment (the node's pods from the API, owner
// lookups, the runtime's names on the node) — on with the API, or for host sources on a
// node whose containers are pods. The baseline sync joins here (WorkloadBaseline).
import type { Logger } from '../../collector/log.ts';
import type { Enricher, EnrichStep } from '../../collector/enrich/index.ts';
import { createKubeEnrichment, type KubeEnrichment } from '../../collector/enrich/kube/index.ts';
import type { AgentConfig } from '../config/load.ts';
import type { Metrics } from '../metrics.ts';
import { loadKubeConfig } from './client.ts';
import { registerKubeMetrics } from './metrics.ts';

export interface KubeWiring {
  kube: KubeEnrichment;
  enrichSteps: EnrichStep[];
  holdMs: number;
  attachEnricher(e: Enricher): void;
  stop(): Promise<void>;
}

export async function wireKubernetes(deps: { config: AgentConfig; log: Logger; metrics: Metrics; hostSources: boolean }): Promise<KubeWiring | undefined> {
  const k = deps.config.kubernetes;
  if (!k.api && !deps.hostSources) return undefined;
  const log = deps.log.child({ component: 'kubernetes' });
  const kc = k.api ? await loadKubeConfig(k) : undefined;
  const kube = await createKubeEnrichment({
    node: deps.config.node,
    log,
    ...(kc ? { kc } : {}),
    runtimeDirs: k.runtimeDirs,
    backoff: k.retry,
    ownerRetry: k.retry,
    peers: k.peers,
  });
  let enricher: Enricher | undefined;
  registerKubeMetrics(deps.metrics.registry, kube, () => enricher);
  kube.start();
  if (kc) log.info('kubernetes api: watching the pods of this node', { node: deps.config.node, server: kc.getCurrentCluster()?.server });
  return {
    kube,
    enrichSteps: [kube.step],
    holdMs: k.holdMs,
    attachEnricher: (e) => void (enricher = e),
    stop: () => kube.stop(),
  };
}
