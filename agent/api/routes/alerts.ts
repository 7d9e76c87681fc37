// Alerts: filtered, cursor-paginated lists in a stable order (newest first: time,
// then id), one alert with its evidence and process ancestry, triage and approval.
import type { ApiServer } from '../server.ts';
import { HttpError } from '../errors.ts';
import type { Responder } from '../../respond/responder.ts';
import { ALERT_STATUSES, type AlertStatus, type StoredAlert } from '../../store/alerts.ts';
import { workloadScope } from '../scope.ts';
import { actorOf, alertId, decodeCursor, optEnum, optInt, optSeverity, optString, optTime, page, workloadId } from './params.ts';
import { alertApproveBody, alertStatusBody } from './schemas.ts';

const isAlertCursor = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

export function alertRoutes(api: ApiServer, r: Responder): void {
  const store = (): NonNullable<Responder['alerts']> => {
    if (!r.alerts) throw new HttpError(404, 'this agent keeps no alerts');
    return r.alerts;
  };
  /** authorisation is about the alert's workload: look it up first (404 before 403 is fine: ids are random) */
  const alertScope = (req: { params: Record<string, string> }) => {
    const a = store().get(alertId(req.params.id));
    if (!a) throw new HttpError(404, `alert ${req.params.id} not found`);
    return workloadScope(a.workload.id);
  };

  api.route(
    'GET',
    '/v1/alerts',
    (req) => {
      const q = req.query;
      const now = r.now();
      const limit = optInt(q, 'limit', 1, 1000) ?? 100;
      const after = decodeCursor(q, isAlertCursor);
      const w = optString(q, 'workload');
      const rows = store().list({
        since: optTime(q, 'since', now),
        until: optTime(q, 'until', now),
        namespace: optString(q, 'namespace', 253),
        workload: w === undefined ? undefined : workloadId(w),
        rule: optString(q, 'rule', 128),
        severity: optSeverity(q),
        status: optEnum(q, 'status', ALERT_STATUSES),
        after: after ? { time: after[0], id: after[1] } : undefined,
        limit: limit + 1,
      });
      const p = page(rows, limit, (a: StoredAlert) => [Date.parse(a.time), a.id]);
      return { json: { alerts: p.items, nextCursor: p.nextCursor } };
    },
    { access: 'list', query: ['since', 'until', 'namespace', 'workload', 'rule', 'severity', 'status', 'limit', 'cursor'] },
  );

  api.route(
    'GET',
    '/v1/alerts/{id}',
    (req) => {
      const a = store().get(alertId(req.params.id));
      if (!a) throw new HttpError(404, `alert ${req.params.id} not found`);
      return { json: a };
    },
    { access: 'get', scope: alertScope },
  );

  api.route('POST', '/v1/alerts/{id}/approve', (req) => ({ json: r.change.approveAlert(actorOf(req), alertId(req.params.id), (req.body as { note?: string }).note) }), {
    access: 'approve',
    body: alertApproveBody,
    scope: alertScope,
  });

  api.route(
    'POST',
    '/v1/alerts/{id}/status',
    (req) => {
      const b = req.body as { status: AlertStatus; note?: string };
      return { json: r.change.alertStatus(actorOf(req), alertId(req.params.id), b.status, b.note) };
    },
    { access: 'approve', body: alertStatusBody, scope: alertScope },
  );
}
