// Kubernetes enrichment's own metrics, read at scrape time from its counters.
// Labels are bounded: a reason or an informer name, never a pod or a container.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeEnrichment } from '../../collector/enrich/kube/index.ts';
import type { Enricher } from '../../collector/enrich/index.ts';

export function registerKubeMetrics(registry: Registry, kube: KubeEnrichment, enricher: () => Enricher | undefined): void {
  const r = [registry];
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
      for (const i of kube.stats().informers) this.set({ informer: i.name }, i.synced && i.connected ? 1 : 0);
    },
  });
  new Counter({
    name: 'habitwatch_kube_informer_errors_total',
    help: 'Informer failures (each followed by a retry after a backoff)',
    labelNames: ['informer'],
    registers: r,
    collect() {
      this.reset();
      for (const i of kube.stats().informers) this.inc({ informer: i.name }, i.errors);
    },
  });
  new Counter({
    name: 'habitwatch_kube_lists_total',
    help: 'Complete lists (the first, and relists after a watch expired or failed)',
    labelNames: ['informer'],
    registers: r,
    collect() {
      this.reset();
      for (const i of kube.stats().informers) this.inc({ informer: i.name }, i.lists);
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
