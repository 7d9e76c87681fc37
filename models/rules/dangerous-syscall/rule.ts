// System calls that containers almost never need and escapes and rootkits do.
import type { Mitre } from '../../alert.ts';
import { defineRule, processLabel } from '../types.ts';

const ESCAPE: Mitre = { technique: 'T1611', name: 'Escape to Host', tactic: 'privilege-escalation' };
const KMOD: Mitre = { technique: 'T1547.006', name: 'Kernel Modules and Extensions', tactic: 'persistence' };
const INJECT: Mitre = { technique: 'T1055.008', name: 'Ptrace System Calls', tactic: 'defense-evasion' };

export const DANGEROUS: Record<string, Mitre> = {
  ptrace: INJECT,
  process_vm_writev: INJECT,
  mount: ESCAPE,
  umount2: ESCAPE,
  pivot_root: ESCAPE,
  unshare: ESCAPE,
  setns: ESCAPE,
  open_by_handle_at: ESCAPE,
  bpf: KMOD,
  init_module: KMOD,
  finit_module: KMOD,
  delete_module: KMOD,
  kexec_load: KMOD,
  kexec_file_load: KMOD,
};

const DANGEROUS_SET = new Set(Object.keys(DANGEROUS));

export default defineRule({
  id: 'dangerous-syscall',
  title: 'Dangerous system call (escape, injection, kernel module)',
  kinds: ['syscall'],
  severity: 'high',
  mitre: ESCAPE,
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'syscall') return undefined;
    // once stable only novel calls can hit (see below): most syscall events have none
    if (ctx.obs.novel.length === 0 && ctx.obs.baseline.enforcing()) return undefined;
    let any = false;
    for (const n of ev.names) if (DANGEROUS_SET.has(n)) any = true;
    if (!any) return undefined;
    let hits = ev.names.filter((n) => DANGEROUS_SET.has(n));
    // once stable, only the ones this workload never used (some runtimes use unshare)
    if (ctx.obs.baseline.enforcing()) hits = hits.filter((h) => ctx.obs.novel.includes(h));
    if (ctx.obs.baseline.learning() && ev.container === undefined) return undefined; // host services (systemd…) do this legitimately
    if (hits.length === 0) return undefined;
    hits.sort();
    return {
      summary: `dangerous system call(s) ${hits.join(', ')} by ${processLabel(ev)}`,
      description: 'These calls are used for container escape, process injection or loading kernel code, and are rare in workloads.',
      dedupOn: hits.join(','),
      mitre: DANGEROUS[hits[0]],
      evidence: { syscalls: hits },
    };
  },
});
