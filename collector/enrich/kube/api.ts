// What Kubernetes enrichment reads from the API, through @kubernetes/client-node: the
// pods of this node (an informer with a spec.nodeName field selector), the owners of
// their ReplicaSets and Jobs (one GET each, cached by owner.ts), and — for destination
// identity — the cluster's Services and (headless, by default) EndpointSlices. Imported only when the
// API is configured: the client library is large and standalone hosts never load it.
import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../log.ts';
import { Informer } from './informer.ts';
import type { OwnerLookup } from './owners.ts';
import { slimPod, type SlimPod } from './pods.ts';
import { slimService, slimSlice, type PeerIndex, type SlimService, type SlimSlice } from './peers.ts';

export interface PodWatchOptions {
  kc: KubeConfig;
  node: string;
  log: Logger;
  backoff?: { initialMs: number; maxMs: number };
  onAdd(p: SlimPod): void;
  onUpdate(p: SlimPod): void;
  onDelete(p: SlimPod): void;
  onSynced?(): void;
}

export function podInformer(o: PodWatchOptions): Informer<SlimPod> {
  const core = o.kc.makeApiClient(CoreV1Api);
  const fieldSelector = `spec.nodeName=${o.node}`;
  return new Informer<SlimPod>({
    name: 'pods',
    kc: o.kc,
    path: '/api/v1/pods',
    fieldSelector,
    list: (page) => core.listPodForAllNamespaces({ fieldSelector, ...page }),
    slim: slimPod,
    onAdd: o.onAdd,
    onUpdate: o.onUpdate,
    onDelete: o.onDelete,
    ...(o.onSynced ? { onSynced: o.onSynced } : {}),
    log: o.log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
  });
}

/** the controller owner of a ReplicaSet or Job, by a GET of it */
export function ownerLookup(kc: KubeConfig): OwnerLookup {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  return async (kind, namespace, name) => {
    try {
      const o = kind === 'ReplicaSet' ? await apps.readNamespacedReplicaSet({ namespace, name }) : await batch.readNamespacedJob({ namespace, name });
      const ctl = o.metadata?.ownerReferences?.find((r) => r.controller === true);
      return ctl ? { apiVersion: ctl.apiVersion, kind: ctl.kind, name: ctl.name, uid: ctl.uid } : undefined;
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return null;
      throw e;
    }
  };
}

/** Services and EndpointSlices of the whole cluster, into a PeerIndex (what kube-proxy watches too) */
export function peerInformers(o: { kc: KubeConfig; peers: PeerIndex; slices: 'headless' | 'all'; log: Logger; backoff?: { initialMs: number; maxMs: number } }): [Informer<SlimService>, Informer<SlimSlice>] {
  const core = o.kc.makeApiClient(CoreV1Api);
  const discovery = o.kc.makeApiClient(DiscoveryV1Api);
  const labelSelector = o.slices === 'headless' ? 'service.kubernetes.io/headless' : undefined;
  const common = { kc: o.kc, log: o.log, ...(o.backoff ? { backoff: o.backoff } : {}) };
  const services = new Informer<SlimService>({
    ...common,
    name: 'services',
    path: '/api/v1/services',
    list: (page) => core.listServiceForAllNamespaces(page),
    slim: slimService,
    onAdd: (s) => o.peers.setService(s),
    onUpdate: (s) => o.peers.setService(s),
    onDelete: (s) => o.peers.removeService(s),
  });
  const slices = new Informer<SlimSlice>({
    ...common,
    name: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    ...(labelSelector ? { labelSelector } : {}),
    list: (page) => discovery.listEndpointSliceForAllNamespaces({ ...page, ...(labelSelector ? { labelSelector } : {}) }),
    slim: slimSlice,
    onAdd: (s) => o.peers.setSlice(s),
    onUpdate: (s) => o.peers.setSlice(s),
    onDelete: (s) => o.peers.removeSlice(s),
  });
  return [services, slices];
}
