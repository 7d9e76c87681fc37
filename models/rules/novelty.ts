// Shared shape of the novelty rules: an event whose generalised item is not in an
// enforcing (stable or locked) baseline. Novelty hits fold by actor (models/fanout.ts):
// one process reaching many new targets in a burst is one finding.
import type { EventKind } from '../../collector/event.ts';
import type { Evidence, Mitre, Severity } from '../alert.ts';
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
  describeFold(ev: RuntimeEvent, e: Evidence): string;
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
        const hit = o.known?.(ev, ctx);
        return hit === undefined ? undefined : { ...hit, foldOn: actorOf(ev) };
      }
      const item = obs.novel.join(', ');
      return {
        summary: o.describe(ev, item),
        dedupOn: obs.novel.join(','),
        foldOn: actorOf(ev),
      };
    },
    describeFold: o.describeFold,
  });
}

/**
 * Who did it, for fan-out folding; undefined when no actor is known (no folding).
 * A new binary is the act of its parent (the shell of a recon burst runs each command
 * as a new process); anything else is the act of the process itself. A source that
 * aggregates syscalls per container (pid 0) makes the container the actor.
 */
export function actorOf(ev: RuntimeEvent): string | undefined {
  const p = ev.process;
  if (ev.kind === 'exec') {
    const a = p.ancestors?.[0];
    const ppid = p.ppid ?? a?.pid;
    return ppid !== undefined && ppid > 0 ? `parent ${ppid} ${a?.pid === ppid ? a.exe : ''}` : undefined;
  }
  if (p.pid > 0) return `${p.pid} ${p.exe}`;
  return ev.kind === 'syscall' ? 'container' : undefined;
}

/** "a, b, c and 7 more" */
export function listing(items: readonly string[] | undefined, distinct: number | undefined, max = 8): string {
  const its = items ?? [];
  const shown = its.slice(0, max);
  const more = (distinct ?? its.length) - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}
