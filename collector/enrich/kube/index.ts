// Kubernetes enrichment, assembled: the node's pods from the API (when configured), the
// owners of their ReplicaSets and Jobs, the container runtime's names on the node, and
// the step that gives each event its workload identity.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../log.ts';
import { PodIndex, type SlimPod } from './pods.ts';
import { OwnerResolver } from './owners.ts';
import { RuntimeState, type RuntimeDir } from './runtime.ts';
import { KubeStep } from './step.ts';
import type { Informer } from './informer.ts';
import { PeerIndex } from './peers.ts';

export interface KubeEnrichmentOptions {
  node: string;
  log: Logger;
  /** API client configuration; without it identities come from the node alone */
  kc?: KubeConfig;
  runtimeDirs?: RuntimeDir[];
  /** informer restarts after errors */
  backoff?: { initialMs: number; maxMs: number };
  /** owner lookups after errors */
  ownerRetry?: { initialMs: number; maxMs: number };
  /** destination identity: which EndpointSlices to read (Services are always read), or off */
  peers?: 'headless' | 'all' | 'off';
  /** events that name their workload keep it (KubeStepOptions.fillOnly) */
  fillOnly?: boolean;
  now?: () => number;
}

export interface InformerStats {
  name: string;
  synced: boolean;
  connected: boolean;
  lists: number;
  errors: number;
}

export interface KubeStats {
  api: boolean;
  synced: boolean;
  connected: boolean;
  informers: InformerStats[];
  /** addresses resolved to a Service */
  peerAddresses: number;
  pods: number;
  owners: number;
  ownerLookups: number;
  ownerLookupErrors: number;
  runtimeReads: number;
}

export interface KubeEnrichment {
  step: KubeStep;
  pods: PodIndex;
  /** the workloads (namespace/Kind/name) of this node's pods, as the API names them */
  workloads(): string[];
  /** starts the informer (returns at once; it lists and watches in the background) */
  start(): void;
  stop(): Promise<void>;
  stats(): KubeStats;
}

export async function createKubeEnrichment(o: KubeEnrichmentOptions): Promise<KubeEnrichment> {
  const pods = new PodIndex(undefined, undefined, o.now);
  const runtime = new RuntimeState({ ...(o.runtimeDirs ? { dirs: o.runtimeDirs } : {}), ...(o.now ? { now: o.now } : {}) });
  let informer: Informer<SlimPod> | undefined;
  const others: Informer<{ metadata: { name: string } }>[] = [];
  let owners: OwnerResolver | undefined;
  const peers = new PeerIndex();
  let step: KubeStep;
  if (o.kc) {
    const api = await import('./api.ts');
    owners = new OwnerResolver({
      lookup: api.ownerLookup(o.kc),
      onResolved: (uid) => step.ownerResolved(uid),
      log: o.log,
      ...(o.ownerRetry ? { retry: o.ownerRetry } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    const changed = (p: SlimPod): void => {
      pods.upsert(p);
      step.podChanged(p);
    };
    informer = api.podInformer({
      kc: o.kc,
      node: o.node,
      log: o.log,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      onAdd: changed,
      onUpdate: changed,
      onDelete: (p) => {
        pods.remove(p);
        step.podRemoved();
      },
    });
    if ((o.peers ?? 'headless') !== 'off') {
      others.push(...api.peerInformers({ kc: o.kc, peers, slices: o.peers === 'all' ? 'all' : 'headless', log: o.log, ...(o.backoff ? { backoff: o.backoff } : {}) }));
    }
  }
  const inf = informer;
  step = new KubeStep({
    pods,
    runtime,
    peers,
    ...(owners ? { owners } : {}),
    ...(inf ? { apiLive: () => inf.live } : {}),
    ...(o.fillOnly ? { fillOnly: true } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  return {
    step,
    pods,
    workloads: () => {
      const out = new Set<string>();
      for (const p of pods.pods()) {
        const w = owners ? owners.workloadOf(p) : { kind: 'Pod', name: p.metadata.name };
        if (w !== undefined && !w.inferred) out.add(`${p.metadata.namespace}/${w.kind}/${w.name}`);
      }
      return [...out];
    },
    start: () => {
      inf?.start();
      for (const i of others) i.start();
    },
    stop: async () => {
      await Promise.all([inf?.stop(), ...others.map((i) => i.stop())]);
    },
    stats: () => ({
      api: inf !== undefined,
      synced: inf?.synced ?? false,
      connected: inf?.connected ?? false,
      informers: [...(inf ? [inf] : []), ...others].map((i) => ({ name: i.name, synced: i.synced, connected: i.connected, lists: i.lists, errors: i.errors })),
      peerAddresses: peers.size,
      pods: pods.size,
      owners: owners?.size ?? 0,
      ownerLookups: owners?.lookups ?? 0,
      ownerLookupErrors: owners?.lookupErrors ?? 0,
      runtimeReads: runtime.reads,
    }),
  };
}
