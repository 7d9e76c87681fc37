import { listing, noveltyRule } from '../novelty.ts';
import { generalizePath } from '../../baseline/generalize.ts';
import { lineageExe } from '../../baseline/lineage.ts';

export default noveltyRule({
  id: 'unexpected-exec',
  kind: 'exec',
  title: 'Binary not in the workload baseline',
  severity: 'high',
  mitre: { technique: 'T1059', name: 'Command and Scripting Interpreter', tactic: 'execution' },
  describe: (ev, item) => `${item} executed, never seen in this workload's baseline`,
  describeFold: (ev, e) => `${e.distinct} executions new to this workload by ${ev.process.ancestors?.[0]?.exe ?? 'one parent'} (pid ${ev.process.ppid ?? ev.process.ancestors?.[0]?.pid ?? '?'}): ${listing(e.items, e.distinct)}`,
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
    };
  },
});
