import { BASELINE_KINDS, kindIndex, type BaselineKind } from './items.ts';

/**
 * Items changed since the last flush, per kind. Marking happens for every learned
 * event, so it must not build a "kind + key" string each time (nor look the kind up
 * in a Map); iteration (rare, at flush) yields `${kind}\u0000${key}`.
 */
export class DirtyKeys {
  /** by kindIndex */
  private byKind: (Set<string> | undefined)[] = [];

  mark(kind: BaselineKind, key: string): void {
    const i = kindIndex(kind);
    let s = this.byKind[i];
    if (s === undefined) this.byKind[i] = s = new Set();
    s.add(key);
  }
  unmark(kind: BaselineKind, key: string): void {
    this.byKind[kindIndex(kind)]?.delete(key);
  }
  has(composite: string): boolean {
    const i = composite.indexOf('\u0000');
    const k = kindIndex(composite.slice(0, i));
    return k >= 0 && (this.byKind[k]?.has(composite.slice(i + 1)) ?? false);
  }
  get size(): number {
    let n = 0;
    for (const s of this.byKind) if (s !== undefined) n += s.size;
    return n;
  }
  clear(): void {
    this.byKind = [];
  }
  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < BASELINE_KINDS.length; i++) {
      const s = this.byKind[i];
      if (s !== undefined) for (const k of s) yield BASELINE_KINDS[i] + '\u0000' + k;
    }
  }
}
