// Kubernetes naming helpers: container-id URIs, image digests, and the workload a pod
// belongs to as far as its name and labels tell. Used where the API is not asked: the
// sources that carry pod metadata themselves (Tetragon, Falco), and the node-local
// identity of a container before (or without) the API (identity.ts).
import type { ContainerRef, ContainerRuntime, WorkloadRef } from '../../event.ts';

const SCHEME_RUNTIME: Record<string, ContainerRuntime> = {
  containerd: 'containerd',
  'cri-o': 'cri-o',
  crio: 'cri-o',
  docker: 'docker',
  podman: 'podman',
};

/** `containerd://<id>` → { id, runtime }; a bare id keeps runtime unknown */
export function parseContainerUri(uri: string): { id: string; runtime: ContainerRuntime } {
  const i = uri.indexOf('://');
  if (i < 0) return { id: uri, runtime: 'unknown' };
  return { id: uri.slice(i + 3), runtime: SCHEME_RUNTIME[uri.slice(0, i)] ?? 'unknown' };
}

/** `docker.io/x@sha256:…` (optionally `docker-pullable://…`) → `sha256:…` */
export function imageDigest(imageId: string | undefined): string | undefined {
  if (!imageId) return undefined;
  const at = imageId.lastIndexOf('@');
  if (at >= 0) return imageId.slice(at + 1);
  return /^sha256:[0-9a-f]{64}$/.test(imageId) ? imageId : undefined;
}

// Pod names made by a Deployment's ReplicaSet: <deployment>-<template hash>-<5 chars>,
// both suffixes from Kubernetes' "safe" alphabet (no vowels, no 0/1/3).
const RS_POD = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
// Pod names of a CronJob's runs: <cronjob>-<scheduled time, minutes since the epoch>-<5 chars>
const CRONJOB_POD = /^(.+)-\d{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
const CRONJOB_JOB = /^(.+)-\d{8,10}$/;

/**
 * Workload kind from what the pod carries. Order: explicit kind; well-known labels the
 * controllers stamp on their pods; the CronJob-run and ReplicaSet pod-name shapes. Returns undefined
 * when nothing says (the caller then keys the pod itself).
 */
export function inferWorkload(
  pod: string,
  labels: Record<string, string> | undefined,
  workload?: string,
  kind?: string,
): { kind: string; name: string } | undefined {
  if (kind && workload) return { kind, name: workload };
  const l = labels ?? {};
  if (l['pod-template-hash']) {
    const suffix = `-${l['pod-template-hash']}-`;
    const i = pod.lastIndexOf(suffix);
    return { kind: 'Deployment', name: workload ?? (i > 0 ? pod.slice(0, i) : pod) };
  }
  if (l['statefulset.kubernetes.io/pod-name'] && workload) return { kind: 'StatefulSet', name: workload };
  if (l['controller-revision-hash'] && l['pod-template-generation'] && workload) return { kind: 'DaemonSet', name: workload };
  const job = l['batch.kubernetes.io/job-name'] ?? l['job-name'];
  if (job) {
    if (workload) return { kind: workload !== job ? 'CronJob' : 'Job', name: workload };
    const run = CRONJOB_JOB.exec(job);
    return run ? { kind: 'CronJob', name: run[1] } : { kind: 'Job', name: job };
  }
  if (workload && workload === pod) return { kind: 'Pod', name: pod };
  const c = CRONJOB_POD.exec(pod);
  if (c && (!workload || workload === c[1])) return { kind: 'CronJob', name: c[1] };
  const m = RS_POD.exec(pod);
  if (m && (!workload || workload === m[1])) return { kind: 'Deployment', name: m[1] };
  return undefined;
}

/**
 * ev.workload for a pod: id `namespace/kind/name` when the kind is known, else the pod
 * itself (`namespace/Pod/<pod>`), which a Kubernetes enricher can refine later.
 */
export function podWorkload(p: {
  namespace: string;
  pod: string;
  labels?: Record<string, string>;
  workload?: string;
  kind?: string;
  container?: ContainerRef;
}): { ref: WorkloadRef; kindKnown: boolean } {
  const w = inferWorkload(p.pod, p.labels, p.workload, p.kind);
  const kind = w?.kind ?? 'Pod';
  const name = w?.name ?? p.pod;
  const ref: WorkloadRef = { id: `${p.namespace}/${kind}/${name}`, namespace: p.namespace, kind, name, pod: p.pod };
  const cname = p.container?.name ?? (p.container ? p.container.id.slice(0, 12) : undefined);
  if (cname) ref.container = cname;
  if (p.container?.image) ref.image = p.container.image;
  return { ref, kindKnown: w !== undefined };
}
