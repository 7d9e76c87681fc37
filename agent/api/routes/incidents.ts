// Incidents: the alerts of one attack, grouped (models/incidents.ts) — a filtered,
// cursor-paginated list (newest first: time, then id) and one incident with its alerts.
import type { ApiServer } from '../server.ts';
import { HttpError } from '../errors.ts';
import type { Responder } from '../../respond/responder.ts';
import type { Incident } from '../../../models/incident.ts';
import { ALERT_STATUSES } from '../../store/alerts.ts';
import { workloadScope } from '../scope.ts';
import { alertId, decodeCursor, optEnum, optInt, optSeverity, optString, optTime, page, workloadId } from './params.ts';

const isCursor = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

export function incidentRoutes(api: ApiServer, r: Responder): void {
  const store = (): NonNullable<Responder['alerts']> => {
    if (!r.alerts) throw new HttpError(404, 'this agent keeps no incidents');
    return r.alerts;
  };
  const find = (id: string): Incident => {
    const i = store().incidents.get(alertId(id));
    if (!i) throw new HttpError(404, `incident ${id} not found`);
    return i;
  };

  api.route(
    'GET',
    '/v1/incidents',
    (req) => {
      const q = req.query;
      const limit = optInt(q, 'limit', 1, 1000) ?? 100;
      const after = decodeCursor(q, isCursor);
      const w = optString(q, 'workload');
      const now = r.now();
      const rows = store().incidents.list({
        since: optTime(q, 'since', now),
        until: optTime(q, 'until', now),
        namespace: optString(q, 'namespace', 253),
        rule: optString(q, 'rule', 128),
        status: optEnum(q, 'status', ALERT_STATUSES),
        workload: w === undefined ? undefined : workloadId(w),
        severity: optSeverity(q),
        after: after ? { time: after[0], id: after[1] } : undefined,
        limit: limit + 1,
      });
      const p = page(rows, limit, (i: Incident) => [Date.parse(i.time), i.id]);
      return { json: { incidents: p.items, nextCursor: p.nextCursor } };
    },
    { access: 'list', query: ['since', 'until', 'namespace', 'workload', 'rule', 'severity', 'status', 'limit', 'cursor'] },
  );

  api.route(
    'GET',
    '/v1/incidents/{id}',
    (req) => {
      const incident = find(req.params.id);
      return { json: { incident, alerts: store().ofIncident(incident.id) } };
    },
    { access: 'get', scope: (req) => workloadScope(find(req.params.id).workload.id) },
  );
}
