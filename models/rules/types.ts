// The rule contract. One folder per rule under models/rules/<id>/rule.ts; the
// engine indexes rules by event kind so an event only meets the rules that care.
import type { EventKind, RuntimeEvent } from '../../collector/event.ts';
import type { Evidence, Mitre, Severity } from '../alert.ts';
import type { Observation } from '../baseline/profiler.ts';

export interface RuleContext {
  obs: Observation;
  now: number;
  /** did this container write (create/modify/rename-to) this exact path earlier? */
  containerWrote(path: string): boolean;
}

export interface RuleHit {
  summary: string;
  /** why this is unusual; the engine appends baseline context */
  description?: string;
  /** separates distinct alerts of one rule in one workload (e.g. the item) */
  dedupOn: string;
  evidence?: Evidence;
  severity?: Severity;
  mitre?: Mitre;
  /** closest known items, when the rule knows better than the baseline */
  expected?: string[];
  /**
   * Fan-out: hits of this rule in one baseline with the same `foldOn` (the actor: a
   * process, a parent) within the fan-out window are one finding, whatever their
   * dedupOn; each distinct one extends the open alert's evidence (models/fanout.ts).
   */
  foldOn?: string;
  /** the items this hit is about, when only some of the event's novel items matter */
  items?: string[];
}

export interface Rule {
  id: string;
  title: string;
  kinds: readonly EventKind[];
  severity: Severity;
  mitre: Mitre;
  /** novelty rules compare against a stable baseline; built-ins run in every state */
  novelty: boolean;
  evaluate(ev: RuntimeEvent, ctx: RuleContext): RuleHit | undefined;
  /** the one-line summary of a fan-out finding, from its folded evidence */
  describeFold?(ev: RuntimeEvent, e: Evidence): string;
}

export function defineRule(r: Rule): Rule {
  return r;
}

/** basename of a path */
export function base(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** how a summary names the process of an event: its executable, else its pid, else what the source said */
export function processLabel(ev: RuntimeEvent): string {
  const p = ev.process;
  if (p.exe !== '') return p.exe;
  if (p.pid > 0) return `pid ${p.pid}`;
  return ev.kind === 'syscall' && ev.aggregated ? 'a process of this container (the source aggregated the calls)' : 'an unknown process';
}

export { SHELLS } from '../baseline/lineage.ts';
