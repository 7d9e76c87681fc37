// The audit trail of every change: who, what, when, from where.
import type { ApiServer } from '../server.ts';
import { HttpError } from '../errors.ts';
import type { Responder } from '../../respond/responder.ts';
import type { AuditEntry } from '../../store/audit.ts';
import { decodeCursor, optInt, optString, optTime, page, workloadId } from './params.ts';

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

export function auditRoutes(api: ApiServer, r: Responder): void {
  api.route(
    'GET',
    '/v1/audit',
    (req) => {
      if (!r.audit) throw new HttpError(404, 'this agent keeps no audit trail');
      const q = req.query;
      const now = r.now();
      const limit = optInt(q, 'limit', 1, 1000) ?? 100;
      const w = optString(q, 'workload');
      const rows = r.audit.list({
        since: optTime(q, 'since', now),
        until: optTime(q, 'until', now),
        actor: optString(q, 'actor', 256),
        action: optString(q, 'action', 64),
        workload: w === undefined ? undefined : workloadId(w),
        beforeSeq: decodeCursor(q, isSeq),
        limit: limit + 1,
      });
      const p = page(rows, limit, (e: AuditEntry) => e.seq);
      return { json: { entries: p.items, nextCursor: p.nextCursor } };
    },
    { access: 'list', query: ['since', 'until', 'actor', 'action', 'workload', 'limit', 'cursor'] },
  );
}
