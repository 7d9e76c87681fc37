// Shared shape of the five novelty rules: an event whose generalised item is not
// in an enforcing (stable or locked) baseline.
import type { EventKind } from '../../collector/event.ts';
import type { Mitre, Severity } from '../alert.ts';
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
      if (obs.novel.length === 0) return o.known?.(ev, ctx);
      const item = obs.novel.join(', ');
      return {
        summary: o.describe(ev, item),
        dedupOn: obs.novel.join(','),
      };
    },
  });
}
