// What a person decided for one baseline, beyond its items:
// - forbidden (the graveyard): patterns never learned — not while learning, not while
//   relearning after a new image — that always raise `forbidden-item`; globs allowed;
// - exceptions: built-in rule findings approved as normal for this workload (rule id →
//   the finding's dedup value), so the same finding no longer alerts.
// Both live in the baseline's meta, so they persist, export and import with it.
import { BASELINE_KINDS, kindIndex, type BaselineKind } from './items.ts';
import { globToRegExp } from './match.ts';

interface Entry {
  pattern: string;
  re: RegExp | undefined;
}

export type ForbiddenLists = Partial<Record<BaselineKind, string[]>>;
/** rule id → approved dedup values */
export type ExceptionLists = Record<string, string[]>;

export interface DecisionsMeta {
  forbidden?: ForbiddenLists;
  exceptions?: ExceptionLists;
}

export class Decisions {
  forbidden: Forbidden | undefined;
  private exceptions: Map<string, Set<string>> | undefined;

  constructor(meta: DecisionsMeta) {
    if (meta.forbidden && Object.keys(meta.forbidden).length > 0) this.forbidden = new Forbidden(meta.forbidden);
    if (meta.exceptions && Object.keys(meta.exceptions).length > 0) {
      this.exceptions = new Map(Object.entries(meta.exceptions).map(([r, v]) => [r, new Set(v)]));
    }
  }

  excepted(rule: string, dedupOn: string): boolean {
    return this.exceptions?.get(rule)?.has(dedupOn) ?? false;
  }

  /** approve a built-in rule's finding; false when it already was */
  except(rule: string, dedupOn: string): boolean {
    this.exceptions ??= new Map();
    let s = this.exceptions.get(rule);
    if (!s) this.exceptions.set(rule, (s = new Set()));
    if (s.has(dedupOn)) return false;
    s.add(dedupOn);
    return true;
  }

  unexcept(rule: string, dedupOn: string): boolean {
    const s = this.exceptions?.get(rule);
    if (!s?.delete(dedupOn)) return false;
    if (s.size === 0) this.exceptions!.delete(rule);
    return true;
  }

  /** write the decisions into a meta object (absent keys when empty) */
  writeTo(meta: DecisionsMeta): void {
    if (this.forbidden === undefined || this.forbidden.empty) {
      this.forbidden = undefined;
      delete meta.forbidden;
    } else meta.forbidden = this.forbidden.lists();
    if (this.exceptions === undefined || this.exceptions.size === 0) {
      this.exceptions = undefined;
      delete meta.exceptions;
    } else meta.exceptions = Object.fromEntries([...this.exceptions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, s]) => [r, [...s].sort()]));
  }
}

/** deep copy of the decision lists of a meta, for snapshots */
export function copyDecisions(m: DecisionsMeta): DecisionsMeta {
  const out: DecisionsMeta = {};
  if (m.forbidden) out.forbidden = Object.fromEntries(Object.entries(m.forbidden).map(([k, v]) => [k, [...v]]));
  if (m.exceptions) out.exceptions = Object.fromEntries(Object.entries(m.exceptions).map(([k, v]) => [k, [...v]]));
  return out;
}

export class Forbidden {
  /** per kind by kindIndex; undefined when nothing of that kind is forbidden */
  private byKind: (Entry[] | undefined)[] = [];

  constructor(lists: ForbiddenLists = {}) {
    for (const [k, ps] of Object.entries(lists) as [BaselineKind, string[]][]) for (const p of ps) this.add(k, p);
  }

  add(kind: BaselineKind, pattern: string): boolean {
    const list = (this.byKind[kindIndex(kind)] ??= []);
    if (list.some((e) => e.pattern === pattern)) return false;
    list.push({ pattern, re: pattern.includes('*') ? globToRegExp(pattern, kind) : undefined });
    return true;
  }

  remove(kind: BaselineKind, pattern: string): boolean {
    const i = kindIndex(kind);
    const list = this.byKind[i];
    const at = list?.findIndex((e) => e.pattern === pattern) ?? -1;
    if (at < 0) return false;
    list!.splice(at, 1);
    if (list!.length === 0) this.byKind[i] = undefined;
    return true;
  }

  /** the forbidding pattern that matches `key`, if any */
  match(kind: BaselineKind, key: string): string | undefined {
    const list = this.byKind[kindIndex(kind)];
    if (list === undefined) return undefined;
    for (const e of list) if (e.re === undefined ? e.pattern === key : e.re.test(key)) return e.pattern;
    return undefined;
  }

  get empty(): boolean {
    return this.byKind.every((l) => l === undefined);
  }

  /** sorted lists per kind, for the baseline's meta (persisted and exported) */
  lists(): ForbiddenLists {
    const out: ForbiddenLists = {};
    for (const k of BASELINE_KINDS) {
      const l = this.byKind[kindIndex(k)];
      if (l) out[k] = l.map((e) => e.pattern).sort();
    }
    return out;
  }
}
