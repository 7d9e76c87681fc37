// Merging baselines: a provisional identity's items moving to the workload the API named
// (adoptInto), and another node's items arriving through the cluster (mergeItems).
// The rule is the same everywhere: a learning baseline takes every item; an enforcing one
// (stable, locked) only counts what it already knows — anything else it would have
// alerted on, so it is handed back as unconfirmed instead of being learned behind the
// baseline's back. A forbidden item (a person's decision) is never taken, learning or not.
import { Baseline, type BaselineMeta } from './baseline.ts';
import { BASELINE_KINDS, type BaselineKind, type Item } from './items.ts';
import { mergeInto } from './match.ts';

export interface Unconfirmed {
  kind: BaselineKind;
  item: Item;
}

function copyItem(it: Item): Item {
  return structuredClone(it);
}

/**
 * Merge `items` into `target`. Returns the items an enforcing target did not know.
 * `countNew`: a new item counts as new behaviour for the quiet period (lastNewItemAt).
 */
export function mergeItems(target: Baseline, items: Iterable<[BaselineKind, Item]>, countNew: boolean): Unconfirmed[] {
  const out: Unconfirmed[] = [];
  const learning = target.learning();
  for (const [kind, it] of items) {
    const key = target.canonical(kind, it.key);
    if (target.forbiddenBy(kind, key) !== undefined) {
      out.push({ kind, item: copyItem(it) });
      continue;
    }
    const known = target.get(kind, key);
    if (known !== undefined) {
      mergeInto(known, it);
      target.dirty.mark(kind, known.key);
    } else if (learning) {
      target.putItem(kind, { ...copyItem(it), key });
      if (countNew && it.firstSeen > target.meta.lastNewItemAt) target.meta.lastNewItemAt = it.firstSeen;
      target.metaDirty = true;
    } else out.push({ kind, item: copyItem(it) });
  }
  return out;
}

function* itemsOf(b: Baseline): IterableIterator<[BaselineKind, Item]> {
  for (const kind of BASELINE_KINDS) for (const it of b.items.get(kind)!.values()) yield [kind, it];
}

type Identity = Pick<BaselineMeta, 'workloadId' | 'container' | 'namespace' | 'workloadKind' | 'workloadName'>;

/**
 * `src` (a provisional baseline) under its confirmed identity: merged into `existing`,
 * or, when there is none, becoming that baseline itself (its items, state and timings).
 */
export function adoptInto(existing: Baseline | undefined, src: Baseline, identity: Identity): { baseline: Baseline; unconfirmed: Unconfirmed[] } {
  if (existing === undefined) {
    const snap = src.snapshot();
    const b = Baseline.fromSnapshot({ key: '', meta: { ...snap.meta, ...identity, provisional: false }, items: snap.items });
    // every item and the meta are new rows under the new key
    for (const [kind, it] of itemsOf(b)) b.dirty.mark(kind, it.key);
    b.metaDirty = true;
    return { baseline: b, unconfirmed: [] };
  }
  const unconfirmed = mergeItems(existing, itemsOf(src), true);
  if (existing.learning() && src.meta.learningSince < existing.meta.learningSince && existing.meta.version === 1) {
    existing.meta.learningSince = src.meta.learningSince;
  }
  existing.meta.provisional = false;
  existing.metaDirty = true;
  return { baseline: existing, unconfirmed };
}
