// A map bounded by a cap, forgetting the least recently used entries first, in O(1)
// amortised per operation (the CLOCK / second-chance approximation of LRU).
//
// A Map iterates in insertion order, so its first entry is the oldest inserted. A
// lookup through get() marks the entry used (one boolean write, no reordering on the
// hot path); eviction looks at the oldest entry: used → clear the mark and move it to
// the end (it gets a second chance), unused → forget it. Each move is paid for by an
// earlier get(), so a trim costs O(1) amortised per insertion, never a scan of the map.
// Pure: no timers; the caller decides when to trim.
//
// The head is read through one persistent iterator (a Map iterator is live: it skips
// what was deleted and reaches what is appended). Creating a fresh iterator for each
// look at the head would be O(n) in V8 after many deletes at the front: the deleted
// slots stay in the table until it is rehashed, and a new iterator walks over them.

interface Slot<V> {
  value: V;
  used: boolean;
}

export class RecentMap<K, V> {
  private map = new Map<K, Slot<V>>();
  /** at the oldest live entry: everything before it was deleted or moved to the end */
  private cursor: Iterator<[K, Slot<V>]> | undefined;

  /** the oldest entry, without removing it */
  private head(): [K, Slot<V>] | undefined {
    let r = this.cursor?.next();
    if (r === undefined || r.done === true) {
      this.cursor = this.map.entries();
      r = this.cursor.next();
    }
    return r.done === true ? undefined : r.value;
  }

  constructor(public cap: number) {}

  get size(): number {
    return this.map.size;
  }

  /** the value, marked as recently used */
  get(k: K): V | undefined {
    const s = this.map.get(k);
    if (s === undefined) return undefined;
    s.used = true;
    return s.value;
  }

  /** the value without marking it used */
  peek(k: K): V | undefined {
    return this.map.get(k)?.value;
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  /** insert as the newest entry (or replace the value in place); does not trim */
  set(k: K, v: V): void {
    const s = this.map.get(k);
    if (s !== undefined) {
      s.value = v;
      s.used = true;
    } else this.map.set(k, { value: v, used: false });
  }

  delete(k: K): boolean {
    return this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
    this.cursor = undefined;
    this.ahead = undefined;
  }

  /** the oldest entry (least recently inserted or given a second chance), if any */
  oldest(): [K, V] | undefined {
    const h = this.peekHead();
    return h === undefined ? undefined : [h[0], h[1].value];
  }

  /** the entry head() returned last and that is still there, else the next one */
  private peekHead(): [K, Slot<V>] | undefined {
    if (this.ahead !== undefined && this.map.get(this.ahead[0]) === this.ahead[1]) return this.ahead;
    this.ahead = this.head();
    return this.ahead;
  }

  /** looked at, not yet removed or moved */
  private ahead: [K, Slot<V>] | undefined;

  private takeHead(): [K, Slot<V>] | undefined {
    const h = this.peekHead();
    this.ahead = undefined;
    return h;
  }

  /**
   * Forget entries until at most `cap` remain, least recently used first.
   * `keep(k, v)` may refuse an eviction (e.g. state not yet persisted): the entry then
   * moves to the end like a used one. The work is bounded by the excess over the cap
   * (a few moves per entry to forget), and past cap + max(16, cap/4) the used marks are ignored,
   * so the size stays bounded even when every entry is in constant use. Returns how
   * many were forgotten.
   */
  trim(onEvict?: (k: K, v: V) => void, keep?: (k: K, v: V) => boolean): number {
    let evicted = 0;
    const hard = this.cap + Math.max(16, this.cap >> 2);
    let budget = Math.min(this.map.size, 4 * (this.map.size - this.cap) + 32);
    while (this.map.size > this.cap && budget-- > 0) {
      const first = this.takeHead();
      if (first === undefined) break;
      const [k, s] = first;
      this.map.delete(k);
      if ((s.used && this.map.size < hard) || (keep !== undefined && keep(k, s.value))) {
        s.used = false;
        this.map.set(k, s);
        continue;
      }
      evicted++;
      onEvict?.(k, s.value);
    }
    return evicted;
  }

  /**
   * Forget the oldest entries while `expired(v)` holds for them (stops at the first
   * that does not): O(1) amortised when entries are inserted roughly in time order.
   */
  dropExpired(expired: (v: V) => boolean, onEvict?: (k: K, v: V) => void): number {
    let n = 0;
    for (;;) {
      const h = this.peekHead();
      if (h === undefined || !expired(h[1].value)) break;
      this.ahead = undefined;
      this.map.delete(h[0]);
      onEvict?.(h[0], h[1].value);
      n++;
    }
    return n;
  }

  values(): IterableIterator<V> {
    const it = this.map.values();
    return (function* () {
      for (const s of it) yield s.value;
    })();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}
