import type { BaselineKind } from './items.ts';

/**
 * Items changed since the last flush, per kind. Marking happens for every learned
 * event, so it must not build a "kind + key" string each time; iteration (rare, at
 * flush) yields `${kind}\u0000${key}`.
 */
export class DirtyKeys {
  private byKind = new Map<BaselineKind, Set<string>>();

  mark(kind: BaselineKind, key: string): void {
    let s = this.byKind.get(kind);
    if (s === undefined) this.byKind.set(kind, (s = new Set()));
    s.add(key);
  }
  unmark(kind: BaselineKind, key: string): void {
    this.byKind.get(kind)?.delete(key);
  }
  has(composite: string): boolean {
    const i = composite.indexOf('\u0000');
    return this.byKind.get(composite.slice(0, i) as BaselineKind)?.has(composite.slice(i + 1)) ?? false;
  }
  get size(): number {
    let n = 0;
    for (const s of this.byKind.values()) n += s.size;
    return n;
  }
  clear(): void {
    this.byKind.clear();
  }
  *[Symbol.iterator](): IterableIterator<string> {
    for (const [kind, s] of this.byKind) for (const k of s) yield kind + '\u0000' + k;
  }
}
