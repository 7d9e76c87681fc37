// The process cache's table (procs.ts): pid → entry, in two parts, so that an exec storm
// costs neither the node's memory nor the garbage collector's time for processes that
// nothing ever asks about.
//
// Every exec is recorded (a short-lived process is known from its own exec record once
// /proc is gone), but most execs on a busy node are leaves: a probe's command, a shell
// loop's tools, a build's compiler runs — each exits without a child and without a later
// event of its own. Kept in one table of 16,384, each such entry (with its argv and
// ancestry) lived ~6.5 s at 2,500 execs/s: long enough to be moved to V8's old
// generation, marked there by every full collection, and to push the node's long-lived
// processes (the pods' main processes, the shells that start things) out of the table,
// to be read again from /proc.
//
// So a new exec's entry is `fresh`: the newest `freshMax` execs, oldest forgotten first.
// The first time something asks for it — a child's exec (its lineage), one of its own
// later events, an ancestry — it is `kept`: the table of `max` entries that holds what
// was ever asked for, oldest recorded forgotten first, as before. The policy is the
// scan-resistant half of 2Q (a first-use queue in front of the main one): a storm of
// one-off execs passes through `fresh` and leaves `kept` alone. A fresh entry dropped
// unasked is what /proc would give again while its process lives; once it is gone, an
// event read later than `freshMax` execs after its exec is not attributed to it (as
// before, past `max` execs).
//
// Both parts evict a tenth at once: deleted Map slots stay until the table is rebuilt, so
// taking the oldest key one insert at a time would rescan them every time.

export class ProcTable<V> {
  private readonly kept = new Map<number, V>();
  private readonly fresh = new Map<number, V>();

  constructor(
    private readonly max: number,
    private readonly freshMax: number,
  ) {}

  get size(): number {
    return this.kept.size + this.fresh.size;
  }

  /** pid's entry; a fresh one is kept from now on (something asked for it) */
  get(pid: number): V | undefined {
    const k = this.kept.get(pid);
    if (k !== undefined) return k;
    const f = this.fresh.get(pid);
    if (f === undefined) return undefined;
    this.fresh.delete(pid);
    this.keep(pid, f);
    return f;
  }

  /** pid's entry, not marked as asked for */
  peek(pid: number): V | undefined {
    return this.kept.get(pid) ?? this.fresh.get(pid);
  }

  /** a new exec's entry: fresh until something asks for it; replaces pid's entry */
  recordFresh(pid: number, v: V): void {
    this.kept.delete(pid);
    this.fresh.delete(pid);
    this.fresh.set(pid, v);
    trim(this.fresh, this.freshMax);
  }

  /** an entry already asked for (read from /proc for a look-up, a correction); replaces pid's */
  keep(pid: number, v: V): void {
    this.fresh.delete(pid);
    this.kept.delete(pid);
    this.kept.set(pid, v);
    trim(this.kept, this.max);
  }

  delete(pid: number): void {
    this.kept.delete(pid);
    this.fresh.delete(pid);
  }

  /** every entry, kept then fresh (deleting while iterating is safe) */
  *entries(): IterableIterator<[number, V]> {
    yield* this.kept;
    yield* this.fresh;
  }
}

function trim<V>(m: Map<number, V>, max: number): void {
  if (m.size <= max) return;
  const target = Math.floor(max * 0.9);
  for (const pid of m.keys()) {
    if (m.size <= target) break;
    m.delete(pid);
  }
}
