// Baselines table: flush what changed in one transaction per interval (≤ 1 s), so a
// SIGKILL loses at most the last interval; load one baseline by key when its workload
// shows up (an indexed read, models/baseline/profiler.ts BaselineSource), never all of
// them at start. Each row says when its baseline was last active (retention) and how
// many items of each kind it has (listed without reading the items).
import { Baseline, type BaselineMeta, type BaselineSnapshot } from '../../models/baseline/baseline.ts';
import type { BaselineKind, Item } from '../../models/baseline/items.ts';
import { unsaved } from '../../models/baseline/profiler.ts';
import type { Db } from './db.ts';

interface ItemRow {
  baseline_key: string;
  kind: BaselineKind;
  item: string;
  count: number;
  first_seen: number;
  last_seen: number;
  nodes: string;
  detail: string | null;
}

export class BaselineStore {
  private upsertBaseline;
  private upsertItem;
  private deleteItem;
  private archive;
  private touch;
  private one;
  private itemsOf;

  constructor(private db: Db) {
    this.upsertBaseline = db.prepare(
      `INSERT INTO baselines (key, workload_id, container, version, state, image, meta, updated_at)
       VALUES (@key, @workload, @container, @version, @state, @image, @meta, @now)
       ON CONFLICT(key) DO UPDATE SET version = excluded.version, state = excluded.state, image = excluded.image,
         meta = excluded.meta, updated_at = excluded.updated_at`,
    );
    this.upsertItem = db.prepare(
      `INSERT INTO baseline_items (baseline_key, kind, item, count, first_seen, last_seen, nodes, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(baseline_key, kind, item) DO UPDATE SET count = excluded.count, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen, nodes = excluded.nodes, detail = excluded.detail`,
    );
    this.deleteItem = db.prepare('DELETE FROM baseline_items WHERE baseline_key = ? AND kind = ? AND item = ?');
    this.touch = db.prepare('UPDATE baselines SET last_active = ?, sizes = ? WHERE key = ?');
    this.one = db.prepare('SELECT meta FROM baselines WHERE key = ?');
    this.itemsOf = db.prepare('SELECT * FROM baseline_items WHERE baseline_key = ?');
    this.archive = db.prepare(
      `INSERT OR REPLACE INTO baseline_versions (baseline_key, version, state, image, snapshot, archived_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  /** the stored baseline with this key (an indexed read of its row and items) */
  load(key: string): BaselineSnapshot | undefined {
    const r = this.one.get(key) as { meta: string } | undefined;
    if (r === undefined) return undefined;
    const s: BaselineSnapshot = { key, meta: JSON.parse(r.meta) as BaselineMeta, items: {} };
    for (const it of this.itemsOf.all(key) as ItemRow[]) (s.items[it.kind] ??= []).push(rowToItem(it));
    return s;
  }

  /** the keys of a workload's stored baselines (one per container) */
  keysOf(workloadId: string): string[] {
    return (this.db.prepare('SELECT key FROM baselines WHERE workload_id = ? ORDER BY container').all(workloadId) as { key: string }[]).map((r) => r.key);
  }

  /** every stored baseline's meta and item counts, without reading items (listing) */
  summaries(): { key: string; meta: BaselineMeta; sizes: Partial<Record<BaselineKind, number>> }[] {
    const rows = this.db.prepare('SELECT key, meta, sizes FROM baselines').all() as { key: string; meta: string; sizes: string | null }[];
    return rows.map((r) => ({ key: r.key, meta: JSON.parse(r.meta) as BaselineMeta, sizes: r.sizes !== null ? (JSON.parse(r.sizes) as Partial<Record<BaselineKind, number>>) : this.countItems(r.key) }));
  }

  /** for rows written before sizes were kept */
  private countItems(key: string): Partial<Record<BaselineKind, number>> {
    const out: Partial<Record<BaselineKind, number>> = {};
    for (const r of this.db.prepare('SELECT kind, count(*) AS n FROM baseline_items WHERE baseline_key = ? GROUP BY kind').all(key) as { kind: BaselineKind; n: number }[]) out[r.kind] = r.n;
    return out;
  }

  /** how many baselines are stored */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM baselines').get() as { n: number }).n;
  }

  /** every stored baseline (the agent loads them one by one as needed instead) */
  loadAll(): Baseline[] {
    const rows = this.db.prepare('SELECT key, meta FROM baselines').all() as { key: string; meta: string }[];
    const items = this.db.prepare('SELECT * FROM baseline_items').all() as ItemRow[];
    const byKey = new Map<string, BaselineSnapshot>();
    for (const r of rows) byKey.set(r.key, { key: r.key, meta: JSON.parse(r.meta) as BaselineMeta, items: {} });
    for (const it of items) {
      const s = byKey.get(it.baseline_key);
      if (!s) continue;
      (s.items[it.kind] ??= []).push(rowToItem(it));
    }
    return [...byKey.values()].map((s) => Baseline.fromSnapshot(s));
  }

  /**
   * Write every change since the last flush, in one transaction, and delete the
   * baselines in `dropped` (moved into another: an identity the API named). The change
   * marks are cleared only once it committed: a failed flush (disk full…) loses nothing,
   * the next one writes it all again. At most `max` changed baselines are written (the
   * rest by the next call). Returns the number of rows written.
   */
  flush(baselines: Iterable<Baseline>, now: number, dropped: readonly string[] = [], max = Infinity): number {
    let n = 0;
    const written: Baseline[] = [];
    for (const b of baselines) {
      if (written.length >= max) break;
      if (unsaved(b)) written.push(b);
    }
    // nothing changed (an idle agent, every interval): no transaction at all
    if (written.length === 0 && dropped.length === 0) return 0;
    this.db.transaction(() => {
      for (const key of dropped) {
        for (const sql of ['DELETE FROM baseline_items WHERE baseline_key = ?', 'DELETE FROM baseline_versions WHERE baseline_key = ?', 'DELETE FROM baselines WHERE key = ?']) {
          n += this.db.prepare(sql).run(key).changes;
        }
      }
      for (const b of written) {
        for (const snap of b.archived) {
          this.archive.run(b.key, snap.meta.version, snap.meta.state, snap.meta.image, JSON.stringify(snap), now);
          n++;
        }
        if (b.metaDirty) {
          const m = b.meta;
          this.upsertBaseline.run({ key: b.key, workload: m.workloadId, container: m.container, version: m.version, state: m.state, image: m.image, meta: JSON.stringify(m), now });
          n++;
        }
        for (const k of b.removed) {
          const [kind, key] = k.split('\u0000') as [BaselineKind, string];
          this.deleteItem.run(b.key, kind, key);
          n++;
        }
        for (const k of b.dirty) {
          const sep = k.indexOf('\u0000');
          const kind = k.slice(0, sep) as BaselineKind;
          const it = b.items.get(kind)?.get(k.slice(sep + 1));
          if (!it) continue;
          this.upsertItem.run(b.key, kind, it.key, it.count, it.firstSeen, it.lastSeen, JSON.stringify(it.nodes), it.detail ? JSON.stringify(it.detail) : null);
          n++;
        }
        this.touch.run(now, JSON.stringify(sizesOf(b)), b.key);
      }
    })();
    for (const b of written) {
      b.archived.length = 0;
      b.metaDirty = false;
      b.removed.clear();
      b.dirty.clear();
    }
    return n;
  }

  versions(key: string): { version: number; state: string; image: string | null; archivedAt: number; snapshot: BaselineSnapshot }[] {
    return (
      this.db.prepare('SELECT version, state, image, archived_at, snapshot FROM baseline_versions WHERE baseline_key = ? ORDER BY version').all(key) as {
        version: number;
        state: string;
        image: string | null;
        archived_at: number;
        snapshot: string;
      }[]
    ).map((r) => ({ version: r.version, state: r.state, image: r.image, archivedAt: r.archived_at, snapshot: JSON.parse(r.snapshot) as BaselineSnapshot }));
  }
}

function sizesOf(b: Baseline): Partial<Record<BaselineKind, number>> {
  const out: Partial<Record<BaselineKind, number>> = {};
  for (const [k, m] of b.items) if (m.size > 0) out[k] = m.size;
  return out;
}

function rowToItem(r: ItemRow): Item {
  return {
    key: r.item,
    count: r.count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    nodes: JSON.parse(r.nodes) as string[],
    ...(r.detail ? { detail: JSON.parse(r.detail) as Item['detail'] } : {}),
  };
}
