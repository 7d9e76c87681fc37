// Cluster-wide baselines: this node's baselines of Kubernetes workloads and their
// WorkloadBaseline objects, kept in step.
//  - in: every object of a workload with pods here is watched (watchset.ts) and merged
//    into the local baseline (models/baseline/cluster.ts); a replica new to this node
//    starts from the cluster's baseline;
//  - out: what this node has that the object lacks (new items, a newer version, a later
//    decision, a state change, a removal) is written back — at most every writeInterval
//    per workload (jittered, and yielding to another node's write of the same object),
//    with optimistic concurrency (resourceVersion; a 409 is re-read, merged and
//    retried), spec then status. Once a workload is stable and the nodes agree, nothing
//    is written;
//  - an object past its size budget makes the workload `unstable` here and says so in
//    its status, once: never a write that is refused again and again;
//  - the API unreachable: detection goes on from the local baselines (SQLite); writes
//    back off and catch up when it returns, and the watch relists.
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../collector/log.ts';
import { Backoff } from '../../collector/backoff.ts';
import type { Baseline } from '../../models/baseline/baseline.ts';
import { baselineKey } from '../../models/baseline/baseline.ts';
import { fromCluster, mergeCluster, toCluster, type ClusterContainer, type Tombstone } from '../../models/baseline/cluster.ts';
import { BASELINE_KINDS } from '../../models/baseline/items.ts';
import { setState } from '../../models/baseline/learning.ts';
import type { Late } from '../moves.ts';
import type { Profiler } from '../../models/baseline/profiler.ts';
import { clusterWorkload, fromObject, GROUP, KIND, objectName, objectStatus, objectWorkload, PLURAL, readObject, specOut, statusOut, VERSION, WORKLOAD_LABEL, workloadLabel, type WorkloadBaselineObject } from './crd.ts';
import { WatchSet } from './watchset.ts';

export interface SyncStats {
  watched: number;
  connected: boolean;
  writes: number;
  conflicts: number;
  errors: number;
  overBudget: number;
  accepted: number;
  rejected: number;
  watchErrors: number;
  watchLists: number;
  /** the watch has listed (when there is anything to watch) */
  watchSynced: boolean;
}

export interface BaselineSyncOptions {
  kc: KubeConfig;
  profiler: Profiler;
  node: string;
  log: Logger;
  writeIntervalMs: number;
  maxObjectBytes: number;
  /** workload ids with a pod on this node now */
  localWorkloads(): Iterable<string>;
  retry: { initialMs: number; maxMs: number };
  /** a workload stays watched this long after its last pod left (a CronJob between runs) */
  graceMs?: number;
  now?: () => number;
  rand?: () => number;
}

const rankOf = { learning: 0, relearning: 0, stable: 1, unstable: 2, locked: 3 } as const;

export class BaselineSync {
  private readonly watch: WatchSet;
  private readonly api: CustomObjectsApi;
  private readonly now: () => number;
  private readonly rand: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastActive = new Map<string, number>();
  private nextPush = new Map<string, number>();
  private failures = new Map<string, Backoff>();
  private pushing = new Set<string>();
  /** per baseline key: the item keys the object held at the last sync (removals show against it) */
  private synced = new Map<string, Set<string>>();
  /** per baseline key: a signature of what was last in step with the object */
  private signature = new Map<string, string>();
  private overBudget = new Set<string>();
  private late: Late[] = [];
  readonly stats: SyncStats = { watched: 0, connected: false, writes: 0, conflicts: 0, errors: 0, overBudget: 0, accepted: 0, rejected: 0, watchErrors: 0, watchLists: 0, watchSynced: false };

  constructor(private readonly o: BaselineSyncOptions) {
    this.now = o.now ?? Date.now;
    this.rand = o.rand ?? Math.random;
    this.api = o.kc.makeApiClient(CustomObjectsApi);
    this.watch = new WatchSet({
      kc: o.kc,
      log: o.log,
      backoff: o.retry,
      debounceMs: Math.min(2000, o.writeIntervalMs / 2),
      onObject: (x) => {
        this.merge(x);
        this.yieldTo(x);
      },
      onDelete: (x) => this.forget(x),
      now: this.now,
    });
  }

  start(tickMs = Math.max(50, Math.min(1000, this.o.writeIntervalMs / 4))): void {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.watch.stop();
  }

  /** items an enforcing baseline did not take from the cluster: the pipeline judges them */
  takeLate(): Late[] {
    const l = this.late;
    this.late = [];
    return l;
  }

  private baselinesOf(id: string): Baseline[] {
    const out: Baseline[] = [];
    for (const b of this.o.profiler.baselines.values()) if (b.meta.workloadId === id && b.meta.provisional !== true) out.push(b);
    return out;
  }

  /** what a baseline looks like for "anything new to tell the cluster?" */
  private sig(b: Baseline): string {
    const m = b.meta;
    let f = 0;
    for (const l of Object.values(m.forbidden ?? {})) f += l.length;
    return `${m.version}|${m.state}|${m.decidedAt ?? 0}|${b.size}|${m.lastNewItemAt}|${f}|${Object.values(m.collapsed).flat().length}`;
  }

  async tick(): Promise<void> {
    const now = this.now();
    for (const id of this.o.localWorkloads()) if (clusterWorkload(id)) this.lastActive.set(id, now);
    const wanted = new Set<string>();
    for (const [id, t] of this.lastActive) {
      if (now - t <= (this.o.graceMs ?? 10 * 60_000)) wanted.add(id);
      else this.lastActive.delete(id);
    }
    // what this node learned of a workload is written back even after its pod left
    for (const b of this.o.profiler.baselines.values()) {
      if (b.meta.provisional !== true && clusterWorkload(b.meta.workloadId) && this.signature.get(b.key) !== this.sig(b) && b.size > 0) wanted.add(b.meta.workloadId);
    }
    this.watch.want(wanted);
    await this.watch.tick();
    this.stats.watched = this.watch.size;
    this.stats.connected = this.watch.connected;
    this.stats.watchErrors = this.watch.errors;
    this.stats.watchLists = this.watch.lists;
    this.stats.watchSynced = this.watch.synced;
    for (const id of wanted) {
      if (!this.watch.live(id) || this.pushing.has(id) || (this.nextPush.get(id) ?? 0) > now) continue;
      const bs = this.baselinesOf(id);
      if (bs.length === 0 || bs.every((b) => this.signature.get(b.key) === this.sig(b))) continue;
      if (!this.nextPush.has(id)) {
        // the first write of a workload waits a random part of the interval: the nodes of
        // a DaemonSet all learn the same items at once, and most find them written already
        this.nextPush.set(id, now + this.rand() * this.o.writeIntervalMs);
        continue;
      }
      this.pushing.add(id);
      void this.push(id)
        .then(() => {
          this.failures.delete(id);
          this.nextPush.set(id, this.now() + this.o.writeIntervalMs * (0.8 + 0.4 * this.rand()));
        })
        .catch((e: unknown) => {
          this.stats.errors++;
          let f = this.failures.get(id);
          if (!f) this.failures.set(id, (f = new Backoff(this.o.retry)));
          const d = f.next();
          this.nextPush.set(id, this.now() + d);
          if (f.attempts <= 2) this.o.log.warn('workload baseline not written, retrying', { workload: id, err: (e as Error)?.message ?? String(e), retryInMs: d });
        })
        .finally(() => this.pushing.delete(id));
    }
  }

  /**
   * Another node just wrote this workload's object: this node's next write of it waits
   * another interval. Many nodes learning one workload (a DaemonSet) then write its
   * object about once per interval between them, not once per interval each.
   */
  private yieldTo(o: WorkloadBaselineObject): void {
    if (!o.spec?.workload || o.status?.lastUpdateNode === this.o.node) return;
    const id = objectWorkload(o);
    const at = this.now() + this.o.writeIntervalMs * (0.5 + this.rand());
    if ((this.nextPush.get(id) ?? 0) < at) this.nextPush.set(id, at);
  }

  /** an object arrived (watch, or read back): merge it into this node's baselines */
  private merge(o: WorkloadBaselineObject): void {
    const read = readObject(o);
    if (!read) return;
    const { id, workload: w } = read;
    const here = this.lastActive.has(id);
    const now = this.now();
    for (const rc of read.containers) {
      const key = baselineKey(id, rc.name);
      // in memory, else saved (an idle pass may have let it go): never replaced by the cluster's
      let b = this.o.profiler.get(key);
      if (b === undefined) {
        // a replica scheduled here starts from the cluster's baseline (others are not kept)
        if (!here) continue;
        b = fromCluster({ workloadId: id, namespace: w.namespace, workloadKind: w.kind, workloadName: w.name }, rc, now);
        b.usedAt = now;
        this.o.profiler.load(b);
        for (const kind of BASELINE_KINDS) for (const it of b.items.get(kind)!.values()) b.dirty.mark(kind, it.key);
      } else {
        const r = mergeCluster(b, rc, now);
        this.stats.accepted += r.accepted;
        this.stats.rejected += r.rejected;
        if (r.unconfirmed.length > 0) this.late.push({ workload: { id, namespace: w.namespace, kind: w.kind, name: w.name, container: rc.name }, items: r.unconfirmed, source: 'cluster-baseline' });
        if (b.meta.version !== rc.version) continue;
      }
      this.remember(b, rc);
    }
  }

  /** the object's items as of now, and whether this node is in step with it */
  private remember(b: Baseline, rc: ClusterContainer): void {
    const keys = new Set<string>();
    for (const kind of BASELINE_KINDS) for (const c of rc.items[kind] ?? []) keys.add(`${kind}\u0000${b.canonical(kind, c.key)}`);
    this.synced.set(b.key, keys);
    let inStep = rc.version === b.meta.version && (rc.decidedAt ?? 0) >= (b.meta.decidedAt ?? 0) && rankOf[rc.state] >= rankOf[b.meta.state];
    if (inStep) for (const kind of BASELINE_KINDS) for (const k of b.items.get(kind)!.keys()) if (!keys.has(`${kind}\u0000${k}`)) inStep = false;
    if (inStep) this.signature.set(b.key, this.sig(b));
  }

  private forget(o: WorkloadBaselineObject): void {
    const id = objectWorkload(o);
    for (const b of this.baselinesOf(id)) {
      this.synced.delete(b.key);
      this.signature.delete(b.key);
    }
  }

  /** items removed here since the last sync, as tombstones the other nodes apply */
  private tombstones(b: Baseline, rc: ClusterContainer | undefined): Tombstone[] {
    const prev = this.synced.get(b.key);
    if (!prev || !rc || rc.version !== b.meta.version) return [];
    const out: Tombstone[] = [];
    for (const k of prev) {
      const i = k.indexOf('\u0000');
      const kind = k.slice(0, i) as Tombstone['kind'];
      const key = k.slice(i + 1);
      if (b.get(kind, key) === undefined && b.forbiddenBy(kind, key) === undefined && b.canonical(kind, key) === key) out.push({ kind, key, at: this.now() });
    }
    return out;
  }

  /** enforcing baselines learn nothing: items they have that the object lacks were added by a person */
  private approved(b: Baseline, rc: ClusterContainer | undefined): Set<string> {
    const out = new Set<string>();
    if (b.learning()) return out;
    const theirs = this.synced.get(b.key) ?? new Set<string>();
    for (const kind of BASELINE_KINDS) for (const k of b.items.get(kind)!.keys()) if (!theirs.has(`${kind}\u0000${k}`)) out.add(`${kind}\u0000${k}`);
    for (const kind of BASELINE_KINDS) for (const c of rc?.items[kind] ?? []) if (c.approved) out.add(`${kind}\u0000${c.key}`);
    return out;
  }

  private code(e: unknown): number | undefined {
    return e instanceof ApiException ? e.code : undefined;
  }

  private async read(ns: string, name: string): Promise<WorkloadBaselineObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })) as WorkloadBaselineObject;
    } catch (e) {
      if (this.code(e) === 404) return undefined;
      throw e;
    }
  }

  /** write what this node knows of a workload into its object: spec, then status */
  private async push(id: string): Promise<void> {
    const w = clusterWorkload(id)!;
    const name = objectName(w.kind, w.name);
    let cur = this.watch.get(w.namespace, name);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (cur) this.merge(cur);
      const bs = this.baselinesOf(id);
      if (bs.length === 0) return;
      const remote = new Map(cur?.spec.containers.map((sc) => [sc.name, fromObject(sc, cur!.status?.containers?.find((c) => c.name === sc.name))]) ?? []);
      const locals = bs.map((b) => {
        const rc = remote.get(b.meta.container);
        return { b, local: toCluster(b, this.approved(b, rc)), rc, tombs: this.tombstones(b, rc) };
      });
      const containers = locals.map((l) => specOut(l.local, l.rc, l.tombs));
      for (const sc of cur?.spec.containers ?? []) if (!containers.some((c) => c.name === sc.name)) containers.push(sc);
      const statuses = containers.map((sc) => {
        const l = locals.find((x) => x.local.name === sc.name);
        return l ? statusOut(l.local, sc) : (cur?.status?.containers?.find((c) => c.name === sc.name) ?? { name: sc.name, state: 'learning' as const, version: sc.version });
      });
      const contributed = locals.some((l) => (l.b.size > 0 && !l.rc) || l.b.size > (this.synced.get(l.b.key)?.size ?? 0));
      const body: WorkloadBaselineObject = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        metadata: {
          name,
          namespace: w.namespace,
          labels: { ...(cur?.metadata.labels ?? {}), [WORKLOAD_LABEL]: workloadLabel(id), 'app.kubernetes.io/managed-by': 'habitwatch' },
          ...(cur?.metadata.resourceVersion ? { resourceVersion: cur.metadata.resourceVersion } : {}),
        },
        spec: { workload: { kind: w.kind, name: w.name }, containers },
      };
      const statusOf = (prev: WorkloadBaselineObject['status']): NonNullable<WorkloadBaselineObject['status']> => objectStatus(statuses, prev, this.o.node, contributed, this.now());
      const status = statusOf(cur?.status);
      if (Buffer.byteLength(JSON.stringify({ ...body, status })) > this.o.maxObjectBytes) return this.tooBig(id, bs, cur, status);
      let written: WorkloadBaselineObject;
      try {
        const args = { group: GROUP, version: VERSION, namespace: w.namespace, plural: PLURAL, body };
        written = (cur ? await this.api.replaceNamespacedCustomObject({ ...args, name }) : await this.api.createNamespacedCustomObject(args)) as WorkloadBaselineObject;
        this.stats.writes++;
      } catch (e) {
        const c = this.code(e);
        if (c === 409 || c === 404) {
          // another node wrote first (or the object went): read it, merge it, try again
          this.stats.conflicts++;
          cur = await this.read(w.namespace, name);
          continue;
        }
        if (c === 413 || c === 422 || (c === 500 && /too large/.test(String((e as ApiException<unknown>).body)))) return this.tooBig(id, bs, cur, status);
        throw e;
      }
      await this.writeStatus(written, statusOf);
      for (const l of locals) this.remember(l.b, fromObject(containers.find((c) => c.name === l.local.name)!, statuses.find((s) => s.name === l.local.name)));
      return;
    }
    throw new Error('kept losing to concurrent writers (409 five times)');
  }

  /** the status, computed from the object's current one (the nodes it names), retried on 409 */
  private async writeStatus(written: WorkloadBaselineObject, statusOf: (prev: WorkloadBaselineObject['status']) => NonNullable<WorkloadBaselineObject['status']>): Promise<void> {
    let obj = written;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const body = { ...obj, status: statusOf(obj.status) };
        await this.api.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: obj.metadata.namespace, plural: PLURAL, name: obj.metadata.name, body });
        this.stats.writes++;
        return;
      } catch (e) {
        if (this.code(e) !== 409) throw e;
        this.stats.conflicts++;
        const again = await this.read(obj.metadata.namespace, obj.metadata.name);
        if (!again) return;
        obj = again;
      }
    }
  }

  /** past the size budget: unstable here, said once in the object's status, no write loop */
  private async tooBig(id: string, bs: Baseline[], cur: WorkloadBaselineObject | undefined, status: NonNullable<WorkloadBaselineObject['status']>): Promise<void> {
    const reason = `its cluster baseline object would exceed ${this.o.maxObjectBytes} bytes (kubernetes.baselines.maxObjectBytes); learning stopped`;
    for (const b of bs) {
      if (b.meta.state !== 'locked' && b.meta.state !== 'unstable') {
        setState(b, 'unstable', this.now());
        b.meta.unstableReason = reason;
      }
      this.signature.set(b.key, this.sig(b));
    }
    if (!this.overBudget.has(id)) {
      this.overBudget.add(id);
      this.stats.overBudget++;
      this.o.log.warn('workload baseline over its size budget: unstable', { workload: id, maxObjectBytes: this.o.maxObjectBytes });
      if (cur) {
        const containers = (status.containers ?? []).map((c) => ({ ...c, state: 'unstable' as const, unstableReason: reason }));
        await this.writeStatus(cur, () => ({ ...status, state: 'unstable', containers })).catch(() => undefined);
      }
    }
  }
}
