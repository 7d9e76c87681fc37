// Who a Kubernetes container is, at the best tier available:
//  1. the API: its pod, the pod's owner chain → `namespace/Kind/name`, the container's
//     name, image and digest, service account, labels. Complete.
//  2. the node's runtime (OCI bundle annotations): namespace, pod and container names;
//     the workload inferred from the pod's name (a Deployment's or CronJob's pods have
//     recognisable names), else the pod itself (`namespace/Pod/name`). Provisional.
//  3. the cgroup path alone: the pod UID (`host/pod/<uid>`), container = its name when
//     the event's source named it (Tetragon, Falco, normalised events), else the id's
//     first 12 hex. Provisional; only when neither of the above.
// Provisional identities are what the workload's items are learned under until the API
// names it; then they move (IdentityMove). Each identity is built once per container
// and shared, read-only, by all of its events.
import type { ContainerRef, ContainerRuntime, WorkloadRef } from '../../event.ts';
import { inferWorkload } from './names.ts';
import type { WorkloadName } from './owners.ts';
import type { SlimContainer, SlimPod } from './pods.ts';
import type { RuntimeNames } from './runtime.ts';

export type PartialReason = 'pod_unknown' | 'api_unavailable' | 'no_api' | 'owner_unresolved';

export interface Identity {
  workload: WorkloadRef & { container: string };
  container: ContainerRef;
  /** set when the identity is provisional: why the API's answer is missing */
  partial?: PartialReason;
}

export function workloadId(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

export function apiIdentity(pod: SlimPod, c: SlimContainer, w: WorkloadName): Identity {
  const ns = pod.metadata.namespace;
  const workload: Identity['workload'] = Object.freeze({
    id: workloadId(ns, w.kind, w.name),
    namespace: ns,
    kind: w.kind,
    name: w.name,
    container: c.name,
    pod: pod.metadata.name,
    podUid: pod.metadata.uid,
    ...(c.image ? { image: c.image } : {}),
    ...(pod.serviceAccount ? { serviceAccount: pod.serviceAccount } : {}),
    ...(pod.metadata.labels ? { labels: Object.freeze({ ...pod.metadata.labels }) } : {}),
  });
  const container: ContainerRef = Object.freeze({
    id: c.id,
    runtime: c.runtime,
    name: c.name,
    ...(c.image ? { image: c.image } : {}),
    ...(c.digest ? { imageDigest: c.digest } : {}),
  });
  return Object.freeze({ workload, container, ...(w.inferred ? { partial: 'owner_unresolved' as const } : {}) });
}

/** tier 2 and 3: what the node alone says about a container of a pod */
export function nodeIdentity(
  c: { id: string; runtime: ContainerRuntime; podUid?: string; name?: string; image?: string },
  names: RuntimeNames | undefined,
  reason: PartialReason,
): Identity {
  let workload: Identity['workload'];
  if (names) {
    const w = inferWorkload(names.pod, undefined) ?? { kind: 'Pod', name: names.pod };
    workload = {
      id: workloadId(names.namespace, w.kind, w.name),
      namespace: names.namespace,
      kind: w.kind,
      name: w.name,
      container: names.container,
      pod: names.pod,
      ...(names.podUid ?? c.podUid ? { podUid: names.podUid ?? c.podUid } : {}),
      ...(names.image ? { image: names.image } : {}),
    };
  } else {
    const uid = c.podUid ?? 'unknown';
    workload = { id: `host/pod/${uid}`, kind: 'Pod', name: uid, container: c.name ?? c.id.slice(0, 12), podUid: uid, ...(c.image ? { image: c.image } : {}) };
  }
  const name = names?.container ?? c.name;
  const image = names?.image ?? c.image;
  const container: ContainerRef = { id: c.id, runtime: c.runtime, ...(name ? { name } : {}), ...(image ? { image } : {}) };
  return Object.freeze({ workload: Object.freeze(workload), container: Object.freeze(container), partial: reason });
}

/**
 * The keys a container's items may have been learned under before the API named it:
 * the runtime's names, the pod UID with the container's name (its source named it) and
 * the pod UID with its id.
 */
export function provisionalKeys(c: { id: string; runtime: ContainerRuntime; podUid?: string; name?: string }, names: RuntimeNames | undefined): { workloadId: string; container: string }[] {
  const { name, ...byId } = c;
  const out = [nodeIdentity(byId, undefined, 'pod_unknown').workload];
  if (name !== undefined) out.unshift(nodeIdentity({ ...byId, name }, undefined, 'pod_unknown').workload);
  if (names) out.unshift(nodeIdentity(byId, names, 'pod_unknown').workload);
  return out.map((w) => ({ workloadId: w.id, container: w.container }));
}
