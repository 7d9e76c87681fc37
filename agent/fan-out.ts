// After a commit: count, stream and hand out what was committed (the pipeline's last
// step; nothing reaches the metrics, the stream or a caller before it is stored).
import type { AlertUpdate } from '../models/alert.ts';
import type { IncidentUpdate } from '../models/incident.ts';
import type { Metrics } from './metrics.ts';
import type { Bus } from './bus.ts';

export interface FanOutDeps {
  metrics?: Metrics;
  bus?: Bus;
  onAlert?: (u: AlertUpdate) => void;
}

/** `acceptedAt`: when the oldest of the committed batches was accepted (performance.now()) */
export function fanOut(deps: FanOutDeps, merged: readonly AlertUpdate[], incidents: readonly IncidentUpdate[], acceptedAt: number): void {
  const m = deps.metrics;
  if (m) {
    for (const u of incidents) {
      if (u.change === 'opened') m.incidents.inc({ severity: u.incident.severity, namespace: u.incident.workload.namespace ?? '' });
      else if (u.change === 'escalated') m.incidentEscalations.inc({ severity: u.incident.severity });
    }
  }
  if (merged.length === 0) return;
  const latency = (performance.now() - acceptedAt) / 1000;
  for (const u of merged) {
    if (m) {
      if (u.isNew) m.alerts.inc({ rule: u.alert.rule, severity: u.alert.severity, namespace: u.alert.workload.namespace ?? '' });
      else {
        m.alertRepeats.inc({ rule: u.alert.rule });
        if (u.folded) m.alertFolds.inc({ rule: u.alert.rule });
      }
      m.pipelineLatency.observe(latency);
    }
    deps.bus?.emit('alert', u);
    deps.onAlert?.(u);
  }
}
