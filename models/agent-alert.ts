// Self-alerts: what the agent says about itself when it cannot do its job in full —
// it cannot persist, it deliberately dropped or pruned alerts, its database went
// missing or was replaced, its event loop stalled. They are ordinary alerts (the same
// schema, store, outbox and sinks) with kind `agent`, a rule id `agent-<condition>`
// and the agent itself as the workload, so whoever watches alerts sees the agent going
// blind in the same place as what it detects. Pure: the caller passes time and identity.
import type { Alert, Mitre, Severity } from './alert.ts';
import { alertId } from './engine.ts';

export interface AgentRule {
  id: string;
  condition: string;
  title: string;
  severity: Severity;
}

/** an attacker blinding a security tool is what these look like from outside */
const IMPAIR: Mitre = { technique: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools', tactic: 'defense-evasion' };

export const AGENT_RULES = [
  { condition: 'storage-failing', title: 'The agent cannot persist alerts or state', severity: 'high' },
  { condition: 'database-missing', title: 'The agent database disappeared or was replaced', severity: 'high' },
  { condition: 'alerts-dropped', title: 'Alerts or deliveries were deliberately dropped to stay within bounds', severity: 'high' },
  { condition: 'event-loop-blocked', title: 'The agent stalled (event loop blocked)', severity: 'medium' },
].map((r) => ({ ...r, id: `agent-${r.condition}` })) as readonly AgentRule[];

export type AgentCondition = 'storage-failing' | 'database-missing' | 'alerts-dropped' | 'event-loop-blocked';

/** rule ids of self-alerts: sink filters may name them */
export const agentRuleIds: readonly string[] = AGENT_RULES.map((r) => r.id);

/** who the agent is: stamped on its self-alerts as workload and process */
export interface AgentIdentity {
  node: string;
  pid: number;
  ppid: number | null;
  exe: string;
  uid: number | null;
  cwd: string | null;
}

/** the workload id of the agent's own alerts on a node */
export const agentWorkloadId = (node: string): string => `habitwatch-agent/${node}`;

export function agentAlert(condition: AgentCondition, detail: string, who: AgentIdentity, now: number): Alert {
  const rule = AGENT_RULES.find((r) => r.condition === condition)!;
  const dedupKey = `${rule.id}|${agentWorkloadId(who.node)}`;
  const iso = new Date(now).toISOString();
  return {
    id: alertId(dedupKey, now, who.node),
    time: iso,
    lastSeen: iso,
    rule: rule.id,
    severity: rule.severity,
    kind: 'agent',
    summary: `habitwatch on ${who.node}: ${rule.title.charAt(0).toLowerCase()}${rule.title.slice(1)}`,
    description: `${rule.title}: ${detail}`,
    source: 'agent',
    workload: {
      id: agentWorkloadId(who.node),
      namespace: null,
      kind: 'Agent',
      name: 'habitwatch-agent',
      container: null,
      pod: null,
      node: who.node,
      image: null,
    },
    process: { pid: who.pid, ppid: who.ppid, exe: who.exe, args: [], uid: who.uid, cwd: who.cwd, ancestors: [] },
    evidence: { condition, detail },
    // the agent has no learned baseline: the fields are present so every alert has one shape
    baseline: { state: 'stable', version: 1, items: 0, expected: [] },
    mitre: IMPAIR,
    dedupKey,
    count: 1,
  };
}
