// The Kubernetes enrichment step: a container's events get its workload identity from
// the API when the API knows the pod (identity.ts tier 1), else from the node
// (tiers 2–3, `enrichment: partial`). While the API is live but has not reported a
// container yet (it started a moment ago), its events are held back (≤ holdMs, see
// enrich/index.ts) and released as soon as the pod shows up. When the API names a
// container that was known provisionally, an IdentityMove tells the pipeline to move
// what was learned under the provisional key.
//
// Hot path: one map lookup for the cgroup path's container (memoised), one for the
// container's identity (built once, shared by its events).
import type { ContainerRef, RuntimeEvent } from '../../event.ts';
import type { EnrichStep, HoldContext, IdentityMove } from '../index.ts';
import { containerFromCgroupPath, type ContainerIdentity } from '../cgroup.ts';
import { apiIdentity, nodeIdentity, provisionalKeys, type Identity, type PartialReason } from './identity.ts';
import type { OwnerResolver } from './owners.ts';
import type { PodIndex, SlimPod } from './pods.ts';
import type { RuntimeState } from './runtime.ts';
import { normalizeIp, type PeerIndex } from './peers.ts';

export interface KubeStepCounters {
  /** events emitted with a provisional identity, by reason */
  partial: Record<PartialReason, number>;
  /** events released from a hold because their pod showed up */
  resolvedAfterHold: number;
}

export interface KubeStepOptions {
  pods: PodIndex;
  owners?: OwnerResolver;
  runtime?: RuntimeState;
  /** Services by address (destination identity) */
  peers?: PeerIndex;
  /** is the pod informer listed and watching? undefined: no API configured */
  apiLive?: () => boolean;
  /**
   * the input names its workloads (replay, normalised events without the API): an event
   * that carries a workload keeps it, only the others get a pod's identity
   */
  fillOnly?: boolean;
  /** after a container's hold expired unresolved, do not hold it again for this long */
  giveUpMs?: number;
  /** a provisional identity is looked at again after this long */
  provisionalTtlMs?: number;
  now?: () => number;
  max?: number;
}

const NO_POD: ContainerIdentity = { id: '', runtime: 'unknown' };

export class KubeStep implements EnrichStep {
  readonly name = 'kubernetes';
  readonly counters: KubeStepCounters = { partial: { pod_unknown: 0, api_unavailable: 0, no_api: 0, owner_unresolved: 0 }, resolvedAfterHold: 0 };
  /** cgroup path → container identity (NO_POD for paths that are not a container) */
  private paths = new Map<string, ContainerIdentity>();
  /** container id → identity, and until when a provisional one holds */
  private idents = new Map<string, [Identity, number]>();
  private holding = new Set<string>();
  private gaveUpAt = new Map<string, number>();
  private pendingMoves: IdentityMove[] = [];
  private moved = new Set<string>();
  private wake: ((key: string) => void) | undefined;
  /** this node's pod addresses → their workload id (cleared when pods change) */
  private podPeers = new Map<string, string | null>();
  private readonly now: () => number;
  private readonly max: number;

  constructor(private readonly o: KubeStepOptions) {
    this.now = o.now ?? Date.now;
    this.max = o.max ?? 16_384;
  }

  attach(ctx: HoldContext): void {
    this.wake = ctx.resolved;
  }

  /** the container of an event with the pod UID its cgroup path carries */
  private containerOf(ev: RuntimeEvent): ContainerIdentity | undefined {
    const path = ev.cgroup?.path;
    if (path !== undefined) {
      let c = this.paths.get(path);
      if (c === undefined) {
        c = containerFromCgroupPath(path) ?? NO_POD;
        if (this.paths.size >= this.max) this.paths.clear();
        this.paths.set(path, c);
      }
      if (c !== NO_POD) return c;
    }
    const ec = ev.container;
    return ec !== undefined ? { id: ec.id, runtime: ec.runtime } : undefined;
  }

  hold(ev: RuntimeEvent): string | undefined {
    if (this.o.apiLive === undefined || !this.o.apiLive()) return undefined;
    const c = this.containerOf(ev);
    if (c === undefined || c.podUid === undefined) return undefined;
    if (this.holding.has(c.id)) return c.id; // keep a container's events in order
    const id = this.idents.get(c.id);
    if (id !== undefined && id[0].partial === undefined) return undefined;
    const hit = this.o.pods.container(c.id);
    if (hit !== undefined && (this.o.owners === undefined || this.o.owners.workloadOf(hit.pod) !== undefined)) return undefined;
    const gave = this.gaveUpAt.get(c.id);
    if (gave !== undefined && this.now() - gave < (this.o.giveUpMs ?? 30_000)) return undefined;
    this.holding.add(c.id);
    return c.id;
  }

  gaveUp(key: string): void {
    this.holding.delete(key);
    if (this.gaveUpAt.size >= this.max) this.gaveUpAt.clear();
    this.gaveUpAt.set(key, this.now());
  }

  enrich(ev: RuntimeEvent): void {
    if (this.o.fillOnly === true && ev.workload !== undefined) return;
    if (ev.kind === 'connect') {
      const p = this.peerOf(ev.dstAddr);
      if (p !== undefined) ev.peer = p;
    }
    const c = this.containerOf(ev);
    if (c === undefined) return;
    let e = this.idents.get(c.id);
    if (e === undefined || (e[0].partial !== undefined && this.now() > e[1])) e = this.identify(c, ev.container?.id === c.id ? ev.container : undefined);
    if (e === undefined) return;
    const ident = e[0];
    ev.workload = ident.workload;
    ev.container = ident.container;
    if (ident.partial !== undefined) {
      ev.enrichment = 'partial';
      this.counters.partial[ident.partial]++;
    } else ev.enrichment = 'complete';
    // a listener on the pod's own address: the same item on every replica
    if (ev.kind === 'listen' && ident.workload.podUid !== undefined && this.o.pods.pod(ident.workload.podUid)?.ips.includes(normalizeIp(ev.addr))) ev.peer = 'pod';
  }

  /** a destination's Kubernetes identity: a Service's, else a pod of this node's workload */
  private peerOf(addr: string): string | undefined {
    const ip = normalizeIp(addr);
    const svc = this.o.peers?.service(ip);
    if (svc !== undefined) return svc;
    let p = this.podPeers.get(ip);
    if (p === undefined) {
      const pod = this.o.pods.podByIp(ip);
      const w = pod === undefined ? undefined : this.o.owners ? this.o.owners.workloadOf(pod) : { kind: 'Pod', name: pod.metadata.name };
      p = pod !== undefined && w !== undefined && !w.inferred ? `${pod.metadata.namespace}/${w.kind}/${w.name}` : null;
      if (this.podPeers.size >= this.max) this.podPeers.clear();
      if (p !== null || pod === undefined) this.podPeers.set(ip, p);
    }
    return p ?? undefined;
  }

  /** a pod of this node was deleted */
  podRemoved(): void {
    this.podPeers.clear();
  }

  /** `named`: the container as the event's source named it (its name and image, when the node cannot tell) */
  private identify(c: ContainerIdentity, named: ContainerRef | undefined): [Identity, number] | undefined {
    const hit = this.o.pods.container(c.id);
    let ident: Identity | undefined;
    if (hit !== undefined) {
      const w = this.o.owners ? this.o.owners.workloadOf(hit.pod) : { kind: 'Pod', name: hit.pod.metadata.name };
      if (w !== undefined) ident = apiIdentity(hit.pod, hit.container, w);
    }
    if (ident === undefined) {
      // not a pod's container as far as the node can tell (a plain host's docker or
      // podman container, or a source that named the workload itself): not ours
      if (c.podUid === undefined) return undefined;
      const reason: PartialReason = this.o.apiLive === undefined ? 'no_api' : this.o.apiLive() ? (hit ? 'owner_unresolved' : 'pod_unknown') : 'api_unavailable';
      const src = named === undefined ? c : { ...c, ...(named.name ? { name: named.name } : {}), ...(named.image ? { image: named.image } : {}) };
      ident = nodeIdentity(src, this.o.runtime?.names(c.id, c.runtime), reason);
    }
    const e: [Identity, number] = [ident, ident.partial === undefined ? Infinity : this.now() + (this.o.provisionalTtlMs ?? 5000)];
    if (this.idents.size >= this.max) this.idents.clear();
    this.idents.set(c.id, e);
    return e;
  }

  /** the pod informer added or changed a pod of this node */
  podChanged(pod: SlimPod): void {
    for (const c of pod.containers) this.idents.delete(c.id);
    this.podPeers.clear();
    this.settle(pod);
  }

  /** an owner lookup finished: the pods it owns may resolve now */
  ownerResolved(ownerUid: string): void {
    for (const pod of this.o.pods.pods()) if (pod.metadata.owner?.uid === ownerUid) this.podChanged(pod);
  }

  /** a pod whose identity is complete: release its held events, move what it learned provisionally */
  private settle(pod: SlimPod): void {
    const w = this.o.owners ? this.o.owners.workloadOf(pod) : { kind: 'Pod', name: pod.metadata.name };
    if (w === undefined) return;
    for (const c of pod.containers) {
      if (this.holding.delete(c.id)) {
        this.counters.resolvedAfterHold++;
        this.wake?.(c.id);
      }
      if (w.inferred || this.moved.has(c.id)) continue;
      const target = apiIdentity(pod, c, w).workload;
      for (const from of provisionalKeys({ id: c.id, runtime: c.runtime, podUid: pod.metadata.uid, name: c.name }, this.o.runtime?.names(c.id, c.runtime))) {
        if (from.workloadId === target.id && from.container === target.container) continue;
        const image = c.digest ?? c.image;
        this.pendingMoves.push({ from, to: target, ...(image ? { image } : {}) });
      }
      if (this.moved.size >= this.max) this.moved.clear();
      this.moved.add(c.id);
    }
  }

  moves(): IdentityMove[] {
    if (this.pendingMoves.length === 0) return [];
    const m = this.pendingMoves;
    this.pendingMoves = [];
    return m;
  }
}
