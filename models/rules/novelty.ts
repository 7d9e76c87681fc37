// Shared shape of the novelty rules: an event whose generalised item is not in an
// enforcing (stable or locked) baseline. Like every rule's, their hits fold by process
// tree (models/fanout.ts): one process reaching many new targets in a burst is one finding.
import type { EventKind } from '../../collector/event.ts';
import type { Evidence, Mitre, Severity } from '../alert.ts';
import type { FoldPart } from '../fanout.ts';
import { defineRule, type Rule, type RuleHit } from './types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { RuleContext } from './types.ts';

export function noveltyRule(o: {
  id: string;
  kind: EventKind;
  title: string;
  severity: Severity;
  mitre: Mitre;
  describe(ev: RuntimeEvent, item: string): string;
  /** the summary of a fan-out finding (its evidence lists the items) */
  describeFold(ev: RuntimeEvent, e: Evidence, parts: readonly FoldPart[]): string;
  /** extra hit for a known item (e.g. exec lineage); default none */
  known?(ev: RuntimeEvent, ctx: RuleContext): RuleHit | undefined;
}): Rule {
  return defineRule({
    id: o.id,
    title: o.title,
    kinds: [o.kind],
    severity: o.severity,
    mitre: o.mitre,
    novelty: true,
    evaluate(ev, ctx) {
      const { obs } = ctx;
      if (!obs.baseline.enforcing()) return undefined;
      if (obs.novel.length === 0) {
        return o.known?.(ev, ctx);
      }
      const item = obs.novel.join(', ');
      return {
        summary: o.describe(ev, item),
        dedupOn: obs.novel.join(','),
      };
    },
    describeFold: o.describeFold,
  });
}

/** "a, b, c and 7 more" */
export function listing(items: readonly string[] | undefined, distinct: number | undefined, max = 8): string {
  const its = items ?? [];
  const shown = its.slice(0, max);
  const more = (distinct ?? its.length) - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}
