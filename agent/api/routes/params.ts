// Query and path parameters, checked: every value a client can send either parses or
// is a 400 naming the parameter and what it should be.
import { SEVERITIES, type Severity } from '../../../models/alert.ts';
import { BASELINE_KINDS, type BaselineKind } from '../../../models/baseline/items.ts';
import { isDuration, parseDuration } from '../../config/duration.ts';
import { HttpError } from '../errors.ts';
import type { Request } from '../server.ts';
import type { Actor } from '../../store/audit.ts';

const ALERT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONTAINER = /^[\x21-\x2e\x30-\x7e]{1,253}$/; // printable, no '/'
const WORKLOAD = /^[\x21-\x7e]{1,512}$/;

export function actorOf(req: Request): Actor {
  return { name: req.actor, via: req.principal.via, remote: req.remote };
}

export function workloadId(v: string, what = 'workload id'): string {
  if (!WORKLOAD.test(v)) throw new HttpError(400, `${what} must be 1-512 printable characters without spaces (like shop/Deployment/web)`);
  return v;
}

export function alertId(v: string): string {
  if (!ALERT_ID.test(v)) throw new HttpError(400, `alert id must be a UUID like 3f2a9c1e-0b6d-4e8a-9c1f-2d3e4f5a6b7c (got ${JSON.stringify(v.slice(0, 60))})`);
  return v;
}

export function optContainer(v: string | null | undefined, what = 'container'): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (!CONTAINER.test(v)) throw new HttpError(400, `${what} must be 1-253 printable characters without "/"`);
  return v;
}

export function optString(q: URLSearchParams, k: string, max = 512): string | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  if (v === '' || v.length > max) throw new HttpError(400, `${k} must be 1-${max} characters`);
  return v;
}

export function optInt(q: URLSearchParams, k: string, min: number, max: number): number | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  const n = /^-?\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HttpError(400, `${k} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

/** ISO 8601, epoch milliseconds, or a duration before now ("15m", "2d") */
export function optTime(q: URLSearchParams, k: string, now: number): number | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  let t: number;
  if (/^\d{1,16}$/.test(v)) t = Number(v);
  else if (isDuration(v)) t = now - parseDuration(v);
  else t = /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new HttpError(400, `${k} must be ISO 8601 (2026-03-03 or 2026-03-03T10:00:00Z), epoch ms, or a duration ago like 15m (got ${JSON.stringify(v.slice(0, 60))})`);
  return t;
}

export function optEnum<T extends string>(q: URLSearchParams, k: string, allowed: readonly T[]): T | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  if (!allowed.includes(v as T)) throw new HttpError(400, `${k} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v.slice(0, 60))})`);
  return v as T;
}

export const optKind = (q: URLSearchParams): BaselineKind | undefined => optEnum(q, 'kind', BASELINE_KINDS);
export const optSeverity = (q: URLSearchParams): Severity | undefined => optEnum(q, 'severity', SEVERITIES);

export function optBool(q: URLSearchParams, k: string): boolean | undefined {
  const v = optEnum(q, k, ['true', 'false', '1', '0'] as const);
  return v === undefined ? undefined : v === 'true' || v === '1';
}

/** opaque page cursors: base64url JSON of the last entry's sort key */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function decodeCursor<T>(q: URLSearchParams, check: (v: unknown) => v is T): T | undefined {
  const c = q.get('cursor');
  if (c === null) return undefined;
  let v: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(c)) throw new Error('not base64url');
    v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(400, 'cursor is not one this API returned (pass nextCursor back unchanged)');
  }
  if (!check(v)) throw new HttpError(400, 'cursor is not one this API returned (pass nextCursor back unchanged)');
  return v;
}

/** a page of `limit` from a list fetched with limit + 1 */
export function page<T>(rows: T[], limit: number, key: (last: T) => unknown): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(key(items[items.length - 1])) };
}
