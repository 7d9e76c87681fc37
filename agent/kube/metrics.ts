// Kubernetes enrichment's own metrics, read at scrape time from its counters.
// Labels are bounded: a reason or an informer name, never a pod or a container.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeEnrichment } from '../../collector/enrich/kube/index.ts';
import type { Enricher } from '../../collector/enrich/index.ts';
import type { BaselineSync } from './sync.ts';

export function registerKubeMetrics(registry: Registry, kube: KubeEnrichment, enricher: () => Enricher | undefined, sync?: BaselineSync): void {
  const r = [registry];
  if (sync) registerSyncMetrics(registry, sync);
  // every informer, the WorkloadBaseline watch included
  const informers = (): { name: string; synced: boolean; connected: boolean; lists: number; errors: number }[] => [
    ...kube.stats().informers,
    ...(sync ? [{ name: 'workloadbaselines', synced: sync.stats.watchSynced, connected: sync.stats.connected, lists: sync.stats.watchLists, errors: sync.stats.watchErrors }] : []),
  ];
  new Counter({
    name: 'habitwatch_enrichment_partial_total',
    help: 'Events emitted with a provisional (node-local) identity, by reason: pod_unknown (the API had not reported the container after the hold), api_unavailable, no_api, owner_unresolved',
    labelNames: ['reason'],
    registers: r,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(kube.step.counters.partial)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'habitwatch_enrichment_resolved_after_hold_total',
    help: 'Containers whose held events were released because their pod showed up in the API',
    registers: r,
    collect() {
      this.reset();
      this.inc(kube.step.counters.resolvedAfterHold);
    },
  });
  new Gauge({
    name: 'habitwatch_enrichment_held_events',
    help: 'Events held back right now until the API reports their pod',
    registers: r,
    collect() {
      this.set(enricher()?.held ?? 0);
    },
  });
  new Gauge({
    name: 'habitwatch_kube_informer_up',
    help: 'An informer (pods, services, endpointslices) has listed and is watching (1), or not (0)',
    labelNames: ['informer'],
    registers: r,
    collect() {
      for (const i of informers()) this.set({ informer: i.name }, i.synced && (i.connected || (i.name === 'workloadbaselines' && sync?.stats.watched === 0)) ? 1 : 0);
    },
  });
  new Counter({
    name: 'habitwatch_kube_informer_errors_total',
    help: 'Informer failures (each followed by a retry after a backoff)',
    labelNames: ['informer'],
    registers: r,
    collect() {
      this.reset();
      for (const i of informers()) this.inc({ informer: i.name }, i.errors);
    },
  });
  new Counter({
    name: 'habitwatch_kube_lists_total',
    help: 'Complete lists (the first, and relists after a watch expired or failed)',
    labelNames: ['informer'],
    registers: r,
    collect() {
      this.reset();
      for (const i of informers()) this.inc({ informer: i.name }, i.lists);
    },
  });
  new Gauge({
    name: 'habitwatch_kube_peer_addresses',
    help: 'Addresses that resolve to a Service (destination identity)',
    registers: r,
    collect() {
      this.set(kube.stats().peerAddresses);
    },
  });
  new Gauge({
    name: 'habitwatch_kube_pods',
    help: 'Pods of this node known from the API',
    registers: r,
    collect() {
      this.set(kube.stats().pods);
    },
  });
  new Counter({
    name: 'habitwatch_kube_owner_lookups_total',
    help: 'GETs of a ReplicaSet or Job to find the workload that owns it, by outcome',
    labelNames: ['outcome'],
    registers: r,
    collect() {
      this.reset();
      const s = kube.stats();
      this.inc({ outcome: 'ok' }, s.ownerLookups - s.ownerLookupErrors);
      this.inc({ outcome: 'error' }, s.ownerLookupErrors);
    },
  });
}

/** the WorkloadBaseline sync: how often it writes and why it does not */
function registerSyncMetrics(registry: Registry, sync: BaselineSync): void {
  const r = [registry];
  const counter = (name: string, help: string, labelNames: string[], get: () => [Record<string, string>, number][]): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: r,
      collect() {
        this.reset();
        for (const [l, n] of get()) this.inc(l, n);
      },
    });
  };
  const s = sync.stats;
  counter('habitwatch_cluster_baseline_writes_total', 'Writes of WorkloadBaseline objects (spec and status), and the 409 conflicts that were re-read, merged and retried', ['outcome'], () => [
    [{ outcome: 'ok' }, s.writes],
    [{ outcome: 'conflict' }, s.conflicts],
    [{ outcome: 'error' }, s.errors],
  ]);
  counter('habitwatch_cluster_baseline_items_total', 'Items merged in from WorkloadBaseline objects: accepted, or rejected (another node learned them after this baseline was stable)', ['outcome'], () => [
    [{ outcome: 'accepted' }, s.accepted],
    [{ outcome: 'rejected' }, s.rejected],
  ]);
  counter('habitwatch_cluster_baseline_over_budget_total', 'Workloads whose WorkloadBaseline object would exceed kubernetes.baselines.maxObjectBytes (made unstable)', [], () => [[{}, s.overBudget]]);
  new Gauge({
    name: 'habitwatch_cluster_baselines_watched',
    help: 'WorkloadBaseline objects this node watches (its workloads)',
    registers: r,
    collect() {
      this.set(s.watched);
    },
  });
}
