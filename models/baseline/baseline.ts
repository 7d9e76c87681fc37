// One workload container's learned behaviour: items by kind, plus the collapse
// rules that keep it small. Pure data + logic; persistence is the store's job
// (it reads the dirty sets after each batch).
import { BASELINE_KINDS, hostPort, kindIndex, splitNetKey, type BaselineKind, type Item } from './items.ts';
import { WILDCARD } from './generalize.ts';
import { DirtyKeys } from './dirty.ts';
import { globToRegExp, mergeInto, similarity } from './match.ts';
import { Decisions, Forbidden, copyDecisions } from './decisions.ts';
import { addressRanges, isRange } from './cidr.ts';
import { baselineKey, type BaselineMeta, type BaselineSnapshot, type ExecDetail, type LearningConfig } from './meta.ts';

export { globToRegExp } from './match.ts';
export { DirtyKeys } from './dirty.ts';
export { DEFAULT_LEARNING, baselineKey, type BaselineMeta, type BaselineSnapshot, type ExecDetail, type LearningConfig } from './meta.ts';

const FILE_KINDS = new Set<BaselineKind>(['file_write', 'file_open', 'exec']);

interface Pattern {
  key: string;
  prefix: string;
  re: RegExp;
}

/** what a baseline keeps per kind (one object per kind, in kindIndex order) */
interface KindState {
  /** the same Map as `items.get(kind)` */
  items: Map<string, Item>;
  /** collapsed dirs (file kinds) or "proto port" (connect) */
  collapsed: Set<string> | undefined;
  /** items containing wildcards, compiled, checked only on an exact miss */
  patterns: Pattern[] | undefined;
}

export class Baseline {
  readonly key: string;
  meta: BaselineMeta;
  readonly items = new Map<BaselineKind, Map<string, Item>>();
  /** per-kind state by kindIndex: the hot lookups go through this, not a Map per kind */
  private kinds: KindState[] = [];
  /** distinct children per parent, only while learning (drives collapse) */
  private children = new Map<string, Set<string>>();
  size = 0;
  /** time of the last event judged against it (not stored): idle baselines leave memory (Profiler.evict) */
  usedAt = 0;
  /** `${kind}\u0000${key}` of items changed since the store last flushed */
  readonly dirty = new DirtyKeys();
  readonly removed = new Set<string>();
  metaDirty = true;
  /** snapshots of versions replaced since the last flush (kept for diff and audit) */
  readonly archived: BaselineSnapshot[] = [];
  /** what a person forbade or excepted (decisions.ts) */
  readonly decisions: Decisions;

  constructor(meta: BaselineMeta) {
    this.key = baselineKey(meta.workloadId, meta.container);
    this.meta = meta;
    for (const k of BASELINE_KINDS) {
      const items = new Map<string, Item>();
      this.items.set(k, items);
      this.kinds[kindIndex(k)] = { items, collapsed: undefined, patterns: undefined };
    }
    for (const [k, dirs] of Object.entries(meta.collapsed) as [BaselineKind, string[]][]) {
      this.kinds[kindIndex(k)].collapsed = new Set(dirs);
    }
    this.decisions = new Decisions(meta);
  }

  static fromSnapshot(s: BaselineSnapshot): Baseline {
    const b = new Baseline({ ...s.meta, collapsed: { ...s.meta.collapsed }, ...copyDecisions(s.meta) });
    for (const [kind, items] of Object.entries(s.items) as [BaselineKind, Item[]][]) {
      for (const it of items) b.putItem(kind, { ...it, nodes: [...it.nodes] });
    }
    b.dirty.clear();
    b.metaDirty = false;
    return b;
  }

  /** A copy, not a view: archived versions must not change as the live baseline keeps learning. */
  snapshot(): BaselineSnapshot {
    const items: Partial<Record<BaselineKind, Item[]>> = {};
    for (const [kind, m] of this.items) if (m.size > 0) items[kind] = [...m.values()].map(copyItem).sort((a, b) => (a.key < b.key ? -1 : 1));
    const collapsed: BaselineMeta['collapsed'] = {};
    for (const [k, v] of Object.entries(this.meta.collapsed) as [BaselineKind, string[]][]) collapsed[k] = [...v];
    return { key: this.key, meta: { ...this.meta, collapsed, ...copyDecisions(this.meta) }, items };
  }

  learning(): boolean {
    return this.meta.state === 'learning' || this.meta.state === 'relearning';
  }

  /** novelty detection applies */
  enforcing(): boolean {
    return this.meta.state === 'stable' || this.meta.state === 'locked';
  }

  /** Map a generalised key through the collapse rules of this baseline. */
  canonical(kind: BaselineKind, key: string): string {
    const c = this.kinds[kindIndex(kind)].collapsed;
    if (!c || c.size === 0) return key;
    if (kind === 'connect') {
      const p = splitNetKey(key);
      if (!p) return key;
      if (c.has(`${p[0]} ${p[2]}`)) return `${p[0]} ${WILDCARD}:${p[2]}`;
      const r = addressRanges(p[1]);
      if (r !== undefined) {
        if (c.has(`${p[0]} ${p[2]} ${r[1]}`)) return `${p[0]} ${hostPort(r[1], Number(p[2]))}`;
        if (c.has(`${p[0]} ${p[2]} ${r[0]}`)) return `${p[0]} ${hostPort(r[0], Number(p[2]))}`;
      } else if (isRange(p[1]) && p[1].endsWith(p[1].includes(':') ? '/64' : '/24')) {
        // a narrow range whose wide range collapsed since
        const wide = addressRanges(p[1].slice(0, p[1].indexOf('/')).replace(/::$/, '::1'));
        if (wide !== undefined && c.has(`${p[0]} ${p[2]} ${wide[1]}`)) return `${p[0]} ${hostPort(wide[1], Number(p[2]))}`;
      }
      return key;
    }
    if (!FILE_KINDS.has(kind) || !key.startsWith('/')) return key;
    // walk prefixes shortest first: /a, /a/b, … and wildcard the child of a collapsed dir
    let out = key;
    let i = 0;
    while ((i = out.indexOf('/', i + 1)) !== -1) {
      const dir = out.slice(0, i);
      if (c.has(dir)) {
        const end = out.indexOf('/', i + 1);
        out = out.slice(0, i + 1) + WILDCARD + (end === -1 ? '' : out.slice(end));
      }
    }
    if (c.has('') && out.startsWith('/')) {
      const end = out.indexOf('/', 1);
      out = '/' + WILDCARD + (end === -1 ? '' : out.slice(end));
    }
    return out;
  }

  get(kind: BaselineKind, key: string): Item | undefined {
    const s = this.kinds[kindIndex(kind)];
    const m = s.items;
    const exact = m.get(key);
    if (exact) return exact;
    const pats = s.patterns;
    // the literal prefix check rules out almost every pattern without running its regex
    if (pats) for (const p of pats) if (key.startsWith(p.prefix) && p.re.test(key)) return m.get(p.key);
    return undefined;
  }

  has(kind: BaselineKind, key: string): boolean {
    return this.get(kind, key) !== undefined;
  }

  /**
   * Record an observation. Learns it when the baseline is learning; otherwise only
   * bumps counters of a known item. Returns whether the item was unknown.
   */
  observe(
    kind: BaselineKind,
    key: string,
    now: number,
    node: string,
    cfg: LearningConfig,
    detail?: ExecDetail,
  ): { novel: boolean; lineageNovel: boolean; forbidden?: true } {
    // forbidden items are never learned (a forbid also removed any matching item)
    const f = this.decisions.forbidden;
    if (f !== undefined && f.match(kind, key) !== undefined) return FORBIDDEN_HIT;
    let item = this.get(kind, key);
    const novel = item === undefined;
    let lineageNovel = false;
    if (item === undefined) {
      if (!this.learning()) return NOVEL;
      if (this.size >= cfg.maxItems) {
        this.meta.state = 'unstable';
        this.meta.unstableReason = `more than ${cfg.maxItems} items (size budget); learning stopped`;
        this.metaDirty = true;
        return NOVEL;
      }
      item = { key, count: 0, firstSeen: now, lastSeen: now, nodes: [node] };
      this.putItem(kind, item);
      this.meta.lastNewItemAt = now;
      this.metaDirty = true;
      this.trackChild(kind, key, cfg);
      item = this.get(kind, key) ?? this.get(kind, this.canonical(kind, key)) ?? item; // collapse may have merged it
    }
    item.count++;
    if (now > item.lastSeen) item.lastSeen = now;
    if (!item.nodes.includes(node) && item.nodes.length < cfg.maxNodes) item.nodes.push(node);
    if (detail) lineageNovel = this.addDetail(item, kind, detail, cfg);
    this.dirty.mark(kind, item.key);
    return { novel, lineageNovel };
  }

  /** the forbidding pattern `key` matches, if any */
  forbiddenBy(kind: BaselineKind, key: string): string | undefined {
    return this.decisions.forbidden?.match(kind, key);
  }

  /**
   * Forbid a pattern: never learn it, always alert on it. Known items it matches are
   * removed (returned). False when it was already forbidden.
   */
  forbid(kind: BaselineKind, pattern: string): { added: boolean; removed: string[] } {
    const f = (this.decisions.forbidden ??= new Forbidden());
    const added = f.add(kind, pattern);
    const removed: string[] = [];
    for (const key of [...this.items.get(kind)!.keys()]) if (f.match(kind, key) !== undefined && this.removeItem(kind, key)) removed.push(key);
    this.decided();
    return { added, removed };
  }

  unforbid(kind: BaselineKind, pattern: string): boolean {
    return this.decided(this.decisions.forbidden?.remove(kind, pattern) ?? false);
  }

  /** approve a built-in rule's finding for this baseline (it stops alerting) */
  except(rule: string, dedupOn: string): boolean {
    return this.decided(this.decisions.except(rule, dedupOn));
  }

  unexcept(rule: string, dedupOn: string): boolean {
    return this.decided(this.decisions.unexcept(rule, dedupOn));
  }

  private decided(changed = true): boolean {
    if (changed) {
      this.decisions.writeTo(this.meta);
      this.metaDirty = true;
    }
    return changed;
  }

  private addDetail(item: Item, kind: BaselineKind, d: ExecDetail, cfg: LearningConfig): boolean {
    const learn = this.learning();
    let lineageNovel = false;
    if (d.parent !== undefined) {
      const parents = item.detail?.parents;
      // the immediate parent counts too: baselines learned before lineage passed through
      // shells (see lineage.ts) hold immediate parents
      if (!parents?.includes(d.parent) && !parents?.includes(WILDCARD) && (d.immediate === undefined || !parents?.includes(d.immediate))) {
        lineageNovel = !learn && parents !== undefined && parents.length > 0;
        if (learn) {
          item.detail ??= {};
          const p = (item.detail.parents ??= []);
          // too many distinct parents: lineage carries no signal for this binary
          if (p.length >= cfg.maxParents) item.detail.parents = [WILDCARD];
          else p.push(d.parent);
        }
      }
    }
    if (learn && d.args !== undefined) {
      item.detail ??= {};
      const a = (item.detail.args ??= []);
      if (!a.includes(d.args) && a.length < cfg.maxArgPatterns) a.push(d.args);
    }
    if (learn && d.op !== undefined && kind === 'file_write') {
      item.detail ??= {};
      const o = (item.detail.ops ??= []);
      if (!o.includes(d.op)) o.push(d.op);
    }
    return lineageNovel;
  }

  /** Insert or replace an item (store load, approve, merge). */
  putItem(kind: BaselineKind, item: Item): void {
    const m = this.kinds[kindIndex(kind)].items;
    if (!m.has(item.key)) {
      this.size++;
      if (item.key.includes(WILDCARD)) this.addPattern(kind, item.key);
    }
    m.set(item.key, item);
    this.removed.delete(kind + '\u0000' + item.key);
    this.dirty.mark(kind, item.key);
  }

  removeItem(kind: BaselineKind, key: string): boolean {
    const s = this.kinds[kindIndex(kind)];
    if (!s.items.delete(key)) return false;
    this.size--;
    if (s.patterns) s.patterns = s.patterns.filter((p) => p.key !== key);
    this.dirty.unmark(kind, key);
    this.removed.add(kind + '\u0000' + key);
    return true;
  }

  private addPattern(kind: BaselineKind, key: string): void {
    const re = globToRegExp(key, kind);
    const s = this.kinds[kindIndex(kind)];
    const list = s.patterns ?? [];
    list.push({ key, prefix: key.slice(0, key.indexOf(WILDCARD)), re });
    // most specific (longest) first, so closest match explains best
    list.sort((a, b) => b.key.length - a.key.length);
    s.patterns = list;
  }

  // --- collapse ----------------------------------------------------------------

  private trackChild(kind: BaselineKind, key: string, cfg: LearningConfig): void {
    if (kind === 'connect') {
      const p = splitNetKey(key);
      if (!p || p[1] === WILDCARD) return;
      const group = `${p[0]} ${p[2]}`;
      const hosts = this.childSet(kind, group);
      const r = addressRanges(p[1]);
      let host = p[1];
      if (r !== undefined) {
        // many addresses of one range: the range; many narrow ranges of a wide one: the wide one
        const narrow = this.childSet(kind, `${group} ${r[0]}`);
        narrow.add(p[1]);
        const wide = this.childSet(kind, `${group} ${r[1]}`);
        wide.add(r[0]);
        if (wide.size > cfg.cidrCollapseThreshold) {
          for (const n of wide) for (const h of this.children.get(`${kind}\u0000${group} ${n}`) ?? []) hosts.delete(h);
          for (const n of wide) hosts.delete(n);
          this.collapse(kind, `${group} ${r[1]}`);
          host = r[1];
        } else if (narrow.size > cfg.cidrCollapseThreshold) {
          for (const h of narrow) hosts.delete(h);
          this.collapse(kind, `${group} ${r[0]}`);
          host = r[0];
        }
      }
      hosts.add(host);
      if (hosts.size > cfg.connectCollapseThreshold) this.collapse(kind, group);
      return;
    }
    if (!FILE_KINDS.has(kind) || !key.startsWith('/')) return;
    const slash = key.lastIndexOf('/');
    const dir = key.slice(0, slash);
    const child = key.slice(slash + 1);
    if (child === WILDCARD) return;
    const set = this.childSet(kind, dir);
    set.add(child);
    if (set.size > cfg.collapseThreshold) this.collapse(kind, dir);
  }

  private childSet(kind: BaselineKind, parent: string): Set<string> {
    const k = kind + '\u0000' + parent;
    let s = this.children.get(k);
    if (!s) this.children.set(k, (s = new Set()));
    return s;
  }

  /** Collapse a directory (or connect port group): merge its children into one wildcard item. */
  collapse(kind: BaselineKind, parent: string): void {
    const s = this.kinds[kindIndex(kind)];
    let c = s.collapsed;
    if (!c) s.collapsed = c = new Set();
    if (c.has(parent)) return;
    c.add(parent);
    this.meta.collapsed[kind] = [...c].sort();
    this.metaDirty = true;
    this.children.delete(kind + '\u0000' + parent);
    const m = this.items.get(kind)!;
    for (const it of [...m.values()]) {
      const canon = this.canonical(kind, it.key);
      if (canon === it.key) continue;
      this.removeItem(kind, it.key);
      const target = m.get(canon);
      if (target) mergeInto(target, it);
      else this.putItem(kind, { ...it, key: canon });
      this.dirty.mark(kind, canon);
    }
  }

  /** Drop every item and collapse rule (relearn from scratch). */
  clear(): void {
    for (const [kind, m] of this.items) for (const key of [...m.keys()]) this.removeItem(kind, key);
    for (const s of this.kinds) {
      s.collapsed = undefined;
      s.patterns = undefined;
    }
    this.children.clear();
    this.meta.collapsed = {};
    this.metaDirty = true;
  }

  /** The closest known items of a kind to a key, for "expected one of …". */
  closest(kind: BaselineKind, key: string, n = 5): string[] {
    const m = this.items.get(kind)!;
    if (m.size === 0) return [];
    const scored: { k: string; s: number }[] = [];
    for (const k of m.keys()) {
      const s = similarity(kind, key, k);
      // a syscall of another family is no example of what was expected
      if (kind !== 'syscall' || s > 0) scored.push({ k, s });
    }
    scored.sort((a, b) => b.s - a.s || (m.get(b.k)!.count - m.get(a.k)!.count));
    return scored.slice(0, n).map((x) => x.k);
  }
}

const NOVEL = Object.freeze({ novel: true, lineageNovel: false });
const FORBIDDEN_HIT = Object.freeze({ novel: true, lineageNovel: false, forbidden: true as const });

function copyItem(it: Item): Item {
  const c: Item = { ...it, nodes: [...it.nodes] };
  if (it.detail) {
    c.detail = {};
    if (it.detail.parents) c.detail.parents = [...it.detail.parents];
    if (it.detail.args) c.detail.args = [...it.detail.args];
    if (it.detail.ops) c.detail.ops = [...it.detail.ops];
  }
  return c;
}
