// The emulated API server's storage: etcd's model in miniature. One global revision
// counter; every write gets the next revision as the object's resourceVersion; a log of
// changes since the last compaction serves watches from a revision and consistent
// (paginated) lists at a revision. A revision older than the compaction is "gone": the
// server answers 410 Expired, exactly where kube-apiserver does.
import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: ChangeType;
  /** resource type key, e.g. "apps/replicasets" */
  rt: string;
  /** "namespace/name" ("/name" for cluster-scoped) */
  key: string;
  object: KubeObject;
  /** the object before the change (undefined for ADDED) */
  prev: KubeObject | undefined;
}

export class ExpiredError extends Error {
  constructor(readonly rv: number, readonly oldest: number) {
    super(`too old resource version: ${rv} (${oldest})`);
  }
}

export const objKey = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

const clone = <T>(o: T): T => structuredClone(o);

export class Store {
  private rev = 1;
  private objects = new Map<string, Map<string, KubeObject>>();
  private log: Change[] = [];
  /** watches and continued lists from a revision below this are expired */
  compactedRv = 1;
  private listeners = new Set<(c: Change) => void>();

  /** changes kept before the oldest are compacted away (etcd's compaction, the watch cache's window) */
  constructor(private historyLimit = 10_000) {}

  get currentRv(): number {
    return this.rev;
  }

  onChange(fn: (c: Change) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private table(rt: string): Map<string, KubeObject> {
    let t = this.objects.get(rt);
    if (!t) this.objects.set(rt, (t = new Map()));
    return t;
  }

  get(rt: string, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(rt)?.get(objKey(ns, name));
    return o ? clone(o) : undefined;
  }

  /** current objects of a type (optionally one namespace), sorted by key as etcd ranges are */
  list(rt: string, ns?: string): KubeObject[] {
    return this.sorted(this.objects.get(rt) ?? new Map(), ns);
  }

  /** the objects of a type as they were at revision `rv` (for continued lists) */
  listAt(rt: string, rv: number, ns?: string): KubeObject[] {
    if (rv < this.compactedRv) throw new ExpiredError(rv, this.compactedRv);
    const state = new Map(this.objects.get(rt) ?? new Map<string, KubeObject>());
    for (let i = this.log.length - 1; i >= 0 && this.log[i].rv > rv; i--) {
      const c = this.log[i];
      if (c.rt !== rt) continue;
      if (c.prev === undefined) state.delete(c.key);
      else state.set(c.key, c.prev);
    }
    return this.sorted(state, ns);
  }

  private sorted(m: Map<string, KubeObject>, ns?: string): KubeObject[] {
    const keys = [...m.keys()].filter((k) => ns === undefined || k.startsWith(ns + '/')).sort();
    return keys.map((k) => clone(m.get(k)!));
  }

  /** changes of a type after revision `rv`, oldest first */
  changesSince(rt: string, rv: number): Change[] {
    if (rv < this.compactedRv) throw new ExpiredError(rv, this.compactedRv);
    return this.log.filter((c) => c.rv > rv && c.rt === rt);
  }

  create(rt: string, obj: KubeObject, opts: { generation?: boolean } = {}): KubeObject {
    const m = obj.metadata;
    const key = objKey(m.namespace, m.name!);
    const t = this.table(rt);
    if (t.has(key)) throw new Error(`exists: ${key}`);
    const o = clone(obj);
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (opts.generation) o.metadata.generation = 1;
    return this.commit(rt, key, 'ADDED', o, undefined);
  }

  update(rt: string, obj: KubeObject): KubeObject {
    const key = objKey(obj.metadata.namespace, obj.metadata.name!);
    const t = this.table(rt);
    const prev = t.get(key);
    if (!prev) throw new Error(`missing: ${key}`);
    return this.commit(rt, key, 'MODIFIED', clone(obj), prev);
  }

  delete(rt: string, ns: string | undefined, name: string): KubeObject | undefined {
    const key = objKey(ns, name);
    const prev = this.objects.get(rt)?.get(key);
    if (!prev) return undefined;
    return this.commit(rt, key, 'DELETED', clone(prev), prev);
  }

  private commit(rt: string, key: string, type: ChangeType, o: KubeObject, prev: KubeObject | undefined): KubeObject {
    const rv = ++this.rev;
    o.metadata.resourceVersion = String(rv);
    const t = this.table(rt);
    if (type === 'DELETED') t.delete(key);
    else t.set(key, o);
    const change: Change = { rv, type, rt, key, object: o, prev };
    this.log.push(change);
    if (this.log.length > this.historyLimit) {
      const drop = this.log.length - this.historyLimit;
      this.compactedRv = this.log[drop - 1].rv;
      this.log.splice(0, drop);
    }
    for (const l of this.listeners) l(change);
    return clone(o);
  }

  /** forget every change so far: watches and continues from an older revision get 410 */
  compact(): void {
    this.compactedRv = this.rev;
    this.log = [];
  }
}
