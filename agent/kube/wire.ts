// Kubernetes in the agent: identity enrichment (the node's pods from the API, owner
// lookups, the runtime's names on the node) — on with the API, or for host sources on a
// node whose containers are pods. With neither (normalised events only), a pod's
// container is still known by the pod UID its cgroup path carries, never by its id
// alone: the step runs without the API and without the runtime's state (the events may
// come from other nodes), and events that name their workload keep it. The baseline sync
// joins here (WorkloadBaseline). The API client (@kubernetes/client-node: ~20 MiB of
// source strings, maps and code once loaded) is imported only with the API configured:
// client.ts, the enrichment's api.ts and the sync are loaded on demand.
import type { Logger } from '../../collector/log.ts';
import type { Enricher, EnrichStep } from '../../collector/enrich/index.ts';
import { createKubeEnrichment, type KubeEnrichment } from '../../collector/enrich/kube/index.ts';
import type { AgentConfig } from '../config/load.ts';
import type { Metrics } from '../metrics.ts';
import { loadKubeConfig } from './client.ts';
import { registerKubeMetrics } from './metrics.ts';
import type { BaselineSync } from './sync.ts';
import type { Profiler } from '../../models/baseline/profiler.ts';
import type { Late } from '../moves.ts';

export interface KubeWiring {
  kube: KubeEnrichment;
  enrichSteps: EnrichStep[];
  /** the step for events that name no workload, when it is not in enrichSteps (EnricherOptions.fill) */
  fill?: EnrichStep;
  holdMs: number;
  attachEnricher(e: Enricher): void;
  /** cluster baseline items a local enforcing baseline did not take (judged by the pipeline) */
  late?: () => Late[];
  sync?: BaselineSync;
  stop(): Promise<void>;
}

export async function wireKubernetes(deps: { config: AgentConfig; log: Logger; metrics: Metrics; hostSources: boolean; profiler?: Profiler }): Promise<KubeWiring> {
  const k = deps.config.kubernetes;
  const log = deps.log.child({ component: 'kubernetes' });
  const kc = k.api ? await loadKubeConfig(k) : undefined;
  const podUidOnly = !k.api && !deps.hostSources;
  const kube = await createKubeEnrichment({
    node: deps.config.node,
    log,
    ...(kc ? { kc } : {}),
    runtimeDirs: podUidOnly ? [] : k.runtimeDirs,
    ...(podUidOnly ? { fillOnly: true } : {}),
    backoff: k.retry,
    ownerRetry: k.retry,
    peers: k.peers,
  });
  let enricher: Enricher | undefined;
  const sync =
    kc && k.baselines.sync && deps.profiler
      ? new (await import('./sync.ts')).BaselineSync({
          kc,
          profiler: deps.profiler,
          node: deps.config.node,
          log: log.child({ component: 'baseline-sync' }),
          writeIntervalMs: k.baselines.writeIntervalMs,
          maxObjectBytes: k.baselines.maxObjectBytes,
          localWorkloads: () => kube.workloads(),
          retry: k.retry,
        })
      : undefined;
  registerKubeMetrics(deps.metrics.registry, kube, () => enricher, sync);
  kube.start();
  sync?.start();
  if (kc) log.info('kubernetes api: watching the pods of this node', { node: deps.config.node, server: kc.getCurrentCluster()?.server, baselineSync: sync !== undefined });
  return {
    kube,
    // without the API or a host source the step only names what the input did not
    ...(podUidOnly ? { enrichSteps: [], fill: kube.step } : { enrichSteps: [kube.step] }),
    holdMs: k.holdMs,
    attachEnricher: (e) => void (enricher = e),
    ...(sync ? { late: () => sync.takeLate(), sync } : {}),
    stop: async () => {
      await sync?.stop();
      await kube.stop();
    },
  };
}
