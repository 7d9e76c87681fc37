// A pod's workload through its owner references: ReplicaSet → Deployment (or whatever
// controls the ReplicaSet, e.g. an Argo Rollout), Job → CronJob, StatefulSet and
// DaemonSet as they are, a static pod (owned by its Node) by its name without the node
// suffix, a bare pod as itself. Only ReplicaSets and Jobs need a look at another object:
// one GET per ReplicaSet/Job ever seen on this node (not per event, not per pod), the
// answer kept by the owner's UID in a bounded map. A failed GET is retried with a
// backoff; until it works the pod's workload is inferred from names and marked so.
import { Backoff } from '../../backoff.ts';
import type { Logger } from '../../log.ts';
import { inferWorkload } from './names.ts';
import type { OwnerRef, SlimPod } from './pods.ts';

export interface WorkloadName {
  kind: string;
  name: string;
  /** guessed from names because the owner could not be read (yet) */
  inferred?: boolean;
}

/** the controller owner of a ReplicaSet or Job; null when the object is gone (404); throws on other API errors */
export type OwnerLookup = (kind: 'ReplicaSet' | 'Job', namespace: string, name: string) => Promise<OwnerRef | undefined | null>;

export interface OwnerResolverOptions {
  lookup: OwnerLookup;
  /** called when a lookup completes (with the owner UID the pods carry) */
  onResolved(ownerUid: string): void;
  log: Logger;
  max?: number;
  retry?: { initialMs: number; maxMs: number };
  now?: () => number;
}

const INTERMEDIATE: Record<string, 'ReplicaSet' | 'Job'> = { ReplicaSet: 'ReplicaSet', Job: 'Job' };

export class OwnerResolver {
  private cache = new Map<string, WorkloadName>();
  private inflight = new Set<string>();
  private failures = new Map<string, { backoff: Backoff; retryAt: number }>();
  lookups = 0;
  lookupErrors = 0;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: OwnerResolverOptions) {
    this.max = o.max ?? 4096;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.cache.size;
  }

  /** the pod's workload now, or undefined while its owner is being read */
  workloadOf(pod: SlimPod): WorkloadName | undefined {
    const owner = pod.metadata.owner;
    if (!owner) return { kind: 'Pod', name: pod.metadata.name };
    if (owner.kind === 'Node') {
      const suffix = pod.node ? `-${pod.node}` : '';
      const name = suffix && pod.metadata.name.endsWith(suffix) ? pod.metadata.name.slice(0, -suffix.length) : pod.metadata.name;
      return { kind: 'StaticPod', name };
    }
    const kind = INTERMEDIATE[owner.kind];
    if (kind === undefined) return { kind: owner.kind, name: owner.name };
    const hit = this.cache.get(owner.uid);
    if (hit) return hit;
    const f = this.failures.get(owner.uid);
    if (f && this.now() < f.retryAt) return this.guess(pod, owner);
    this.start(kind, pod.metadata.namespace, owner, pod);
    return f ? this.guess(pod, owner) : undefined;
  }

  private guess(pod: SlimPod, owner: OwnerRef): WorkloadName {
    const w = inferWorkload(pod.metadata.name, pod.metadata.labels);
    return { ...(w ?? { kind: owner.kind, name: owner.name }), inferred: true };
  }

  private start(kind: 'ReplicaSet' | 'Job', namespace: string, owner: OwnerRef, pod: SlimPod): void {
    if (this.inflight.has(owner.uid)) return;
    this.inflight.add(owner.uid);
    this.lookups++;
    this.o
      .lookup(kind, namespace, owner.name)
      .then((top) => {
        // gone (404): the pod is on its way out too; its names are the best answer left
        const w: WorkloadName = top === null ? this.guess(pod, owner) : top ? { kind: top.kind, name: top.name } : { kind, name: owner.name };
        if (top === null) delete w.inferred;
        this.remember(owner.uid, w);
        this.failures.delete(owner.uid);
      })
      .catch((e: unknown) => {
        this.lookupErrors++;
        let f = this.failures.get(owner.uid);
        if (!f) this.failures.set(owner.uid, (f = { backoff: new Backoff(this.o.retry ?? { initialMs: 1000, maxMs: 60_000 }), retryAt: 0 }));
        f.retryAt = this.now() + f.backoff.next();
        if (f.backoff.attempts <= 2) this.o.log.warn('kubernetes owner lookup failed', { kind, namespace, name: owner.name, err: (e as Error)?.message ?? String(e) });
      })
      .finally(() => {
        this.inflight.delete(owner.uid);
        this.o.onResolved(owner.uid);
      });
  }

  private remember(uid: string, w: WorkloadName): void {
    this.cache.set(uid, w);
    if (this.cache.size <= this.max) return;
    for (const k of this.cache.keys()) {
      if (this.cache.size <= this.max * 0.9) break;
      this.cache.delete(k);
    }
  }
}
