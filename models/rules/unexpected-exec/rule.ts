import { listing, noveltyRule } from '../novelty.ts';
import { generalizePath } from '../../baseline/generalize.ts';
import { lineageExe } from '../../baseline/lineage.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import type { Evidence } from '../../alert.ts';
import type { FoldPart } from '../../fanout.ts';

/** the kind of a lineage hit (RuleHit.fold): a known binary from a parent it never had */
export const LINEAGE = 'lineage';

export default noveltyRule({
  id: 'unexpected-exec',
  kind: 'exec',
  title: 'Binary not in the workload baseline',
  severity: 'high',
  mitre: { technique: 'T1059', name: 'Command and Scripting Interpreter', tactic: 'execution' },
  describe: (ev, item) => `${item} executed, never seen in this workload's baseline`,
  describeFold,
  // a known binary started by a parent it never had is a weaker, still useful signal; the
  // parent is the nearest ancestor that is not a shell or an exec wrapper (lineage.ts)
  known(ev, ctx) {
    if (!ctx.obs.lineageNovel) return undefined;
    const parent = lineageExe(ev.process.ancestors);
    const immediate = ev.process.ancestors?.[0]?.exe;
    const via = immediate !== undefined && immediate !== parent ? ` (via ${immediate})` : '';
    const item = ctx.obs.items[0];
    const it = ctx.obs.baseline.get('exec', item);
    return {
      summary: `${item} executed by ${parent ?? 'an unknown parent'}${via}, a parent it never had in the baseline`,
      dedupOn: `${item}<-${parent !== undefined ? generalizePath(parent) : '?'}`,
      severity: 'medium',
      expected: (it?.detail?.parents ?? []).map((p) => `${item} <- ${p}`),
      fold: LINEAGE,
    };
  },
});

/**
 * One process's burst of executions: binaries new to the workload, known binaries from a
 * parent they never had (lineage hits), or both — each said for what it is.
 */
function describeFold(ev: RuntimeEvent, e: Evidence, parts: readonly FoldPart[]): string {
  const immediate = ev.process.ancestors?.[0]?.exe;
  const pid = ev.process.ppid ?? ev.process.ancestors?.[0]?.pid ?? '?';
  const lineage = parts.find((p) => p.cls === LINEAGE);
  const fresh = parts.find((p) => p.cls !== LINEAGE);
  if (lineage === undefined) return `${e.distinct} executions new to this workload by ${immediate ?? 'one parent'} (pid ${pid}): ${listing(e.items, e.distinct)}`;
  const parent = lineageExe(ev.process.ancestors) ?? 'an unknown parent';
  const n = lineage.distinct;
  const known = `${n} known ${n === 1 ? 'binary' : 'binaries'}`;
  const they = n === 1 ? 'it' : 'they';
  if (fresh === undefined) {
    const via = immediate !== undefined && immediate !== parent ? ` (via ${immediate}, pid ${pid})` : ` (pid ${pid})`;
    return `${known} executed by ${parent}${via}, a parent ${they} never had in the baseline: ${listing(lineage.items, n)}`;
  }
  return (
    `${e.distinct} executions by ${immediate ?? 'one parent'} (pid ${pid}): ${fresh.distinct} new to this workload (${listing(fresh.items, fresh.distinct)}); ` +
    `${known} from ${parent}, a parent ${they} never had in the baseline (${listing(lineage.items, n)})`
  );
}
