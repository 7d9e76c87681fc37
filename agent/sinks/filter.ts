// Which alerts and incidents a sink takes: its minimum severity, namespaces and rules.
import { severityRank, type Severity } from '../../models/alert.ts';
import type { Incident } from '../../models/incident.ts';
import type { ResolvedSink } from './worker.ts';

export function matchesFilter(s: Pick<ResolvedSink, 'minSeverity' | 'namespaces' | 'rules'>, a: { severity: Severity; namespace: string | null; rule: string }): boolean {
  if (s.minSeverity && severityRank(a.severity) < severityRank(s.minSeverity)) return false;
  if (s.namespaces && s.namespaces.length > 0 && !s.namespaces.includes(a.namespace ?? '')) return false;
  if (s.rules && s.rules.length > 0 && !s.rules.includes(a.rule)) return false;
  return true;
}

/** the incident filter: its severity, its namespace, and any of its rules */
export function matchesIncident(s: Pick<ResolvedSink, 'minSeverity' | 'namespaces' | 'rules'>, i: Pick<Incident, 'severity' | 'rules'> & { namespace: string | null }): boolean {
  if (s.minSeverity && severityRank(i.severity) < severityRank(s.minSeverity)) return false;
  if (s.namespaces && s.namespaces.length > 0 && !s.namespaces.includes(i.namespace ?? '')) return false;
  if (s.rules && s.rules.length > 0 && !i.rules.some((r) => s.rules!.includes(r))) return false;
  return true;
}
