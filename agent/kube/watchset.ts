// The WorkloadBaseline objects of the workloads on this node, and only those: one watch
// whose label selector names them (habitwatch.io/workload in (…)). When the node's set
// of workloads changes, the watch is replaced (debounced): a relist of this node's
// objects, never the cluster's. Objects arrive through client-node's informer with its
// backoff, bookmarks and 410 relists (collector/enrich/kube/informer.ts).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../collector/log.ts';
import { Informer, type ListPage } from '../../collector/enrich/kube/informer.ts';
import { GROUP, PLURAL, VERSION, WORKLOAD_LABEL, workloadLabel, type WorkloadBaselineObject } from './crd.ts';

export interface WatchSetOptions {
  kc: KubeConfig;
  log: Logger;
  backoff: { initialMs: number; maxMs: number };
  /** a selector change waits this long for more changes */
  debounceMs: number;
  onObject(o: WorkloadBaselineObject): void;
  onDelete(o: WorkloadBaselineObject): void;
  now?: () => number;
}

type Obj = WorkloadBaselineObject & { metadata: WorkloadBaselineObject['metadata'] & { managedFields?: unknown } };

/** what the informer keeps: the object without managedFields */
function slim(o: Record<string, unknown>): WorkloadBaselineObject {
  const x = o as unknown as Obj;
  if (x.metadata?.managedFields === undefined) return x;
  const { managedFields: _m, ...metadata } = x.metadata;
  return { ...x, metadata };
}

export class WatchSet {
  private informer: Informer<WorkloadBaselineObject> | undefined;
  private watched = new Set<string>();
  private wanted = new Set<string>();
  private changedAt = 0;
  private readonly custom: CustomObjectsApi;
  private readonly now: () => number;
  restarts = 0;
  private pastLists = 0;

  constructor(private readonly o: WatchSetOptions) {
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
    this.now = o.now ?? Date.now;
  }

  /** the workload ids this node wants to watch now; the watch follows after the debounce */
  want(ids: Iterable<string>): void {
    const next = new Set(ids);
    if (next.size === this.wanted.size && [...next].every((i) => this.wanted.has(i))) return;
    this.wanted = next;
    this.changedAt = this.now();
  }

  /** is this workload's object being watched, and has the watch listed? */
  live(id: string): boolean {
    return this.watched.has(id) && this.informer !== undefined && this.informer.synced;
  }

  get connected(): boolean {
    return this.informer?.connected ?? false;
  }

  get errors(): number {
    return this.informer?.errors ?? 0;
  }

  /** lists so far, over every watch this set has had */
  get lists(): number {
    return this.pastLists + (this.informer?.lists ?? 0);
  }

  get synced(): boolean {
    return this.informer?.synced ?? this.watched.size === 0;
  }

  get size(): number {
    return this.watched.size;
  }

  /** the cached object of a workload (undefined when not watched or absent) */
  get(namespace: string, name: string): WorkloadBaselineObject | undefined {
    return this.informer?.get(name, namespace);
  }

  /** replace the watch when the wanted set changed and settled */
  async tick(): Promise<void> {
    const same = this.wanted.size === this.watched.size && [...this.wanted].every((i) => this.watched.has(i));
    if (same || this.now() - this.changedAt < this.o.debounceMs) return;
    const old = this.informer;
    this.pastLists += old?.lists ?? 0;
    this.watched = new Set(this.wanted);
    this.informer = undefined;
    await old?.stop();
    if (this.watched.size === 0) return;
    const labels = [...new Set([...this.watched].map(workloadLabel))].sort();
    const labelSelector = `${WORKLOAD_LABEL} in (${labels.join(',')})`;
    this.restarts++;
    const inf = new Informer<WorkloadBaselineObject>({
      name: 'workloadbaselines',
      kc: this.o.kc,
      path: `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      labelSelector,
      list: (page) => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, labelSelector, ...page }) as Promise<ListPage>,
      slim,
      onAdd: (x) => this.o.onObject(x),
      onUpdate: (x) => this.o.onObject(x),
      onDelete: (x) => this.o.onDelete(x),
      log: this.o.log,
      backoff: this.o.backoff,
    });
    this.informer = inf;
    inf.start();
  }

  async stop(): Promise<void> {
    const i = this.informer;
    this.informer = undefined;
    await i?.stop();
  }
}
