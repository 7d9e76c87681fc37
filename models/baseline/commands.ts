// Whether a baseline has seen a command line: an exec item keeps the generalised
// argument patterns it was run with while learning (at most maxArgPatterns of them), so
// `sh -c 'date +%s'` run by the workload every minute is known, a new one-liner is not.
import type { Baseline } from './baseline.ts';
import type { Generalizer } from './names.ts';

/** known: learned with these arguments · new: never run so · unsure: too many patterns to tell */
export type CommandKnowledge = 'known' | 'new' | 'unsure';

export function commandKnown(b: Baseline, names: Generalizer, maxPatterns: number, exe: string, args: string[]): CommandKnowledge {
  const item = b.get('exec', b.canonical('exec', names.path(exe)));
  if (item === undefined) return 'new';
  const pats = item.detail?.args;
  if (pats === undefined) return 'unsure';
  if (pats.includes(names.args(args))) return 'known';
  return pats.length >= maxPatterns ? 'unsure' : 'new';
}
