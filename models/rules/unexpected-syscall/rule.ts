// A system call the workload never used — among those whose first use means something
// (ordinary.ts lists the ones that do not). Folds by process tree like every rule.
import { defineRule } from '../types.ts';
import { listing } from '../novelty.ts';
import { ORDINARY_SYSCALLS } from './ordinary.ts';

export default defineRule({
  id: 'unexpected-syscall',
  title: 'System call not in the workload baseline',
  kinds: ['syscall'],
  severity: 'medium',
  mitre: { technique: 'T1106', name: 'Native API', tactic: 'execution' },
  novelty: true,
  evaluate(_ev, ctx) {
    const { obs } = ctx;
    if (!obs.baseline.enforcing() || obs.novel.length === 0) return undefined;
    const novel = obs.novel.filter((n) => !ORDINARY_SYSCALLS.has(n));
    if (novel.length === 0) return undefined;
    const item = novel.join(', ');
    return {
      summary: `system call(s) ${item} used, never seen in this workload`,
      dedupOn: novel.join(','),
      items: novel,
      evidence: { syscalls: novel },
    };
  },
  describeFold: (_ev, e) => `system call(s) ${listing(e.syscalls, e.distinct, 16)} used, never seen in this workload`,
});
