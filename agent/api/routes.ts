// The responder API: workloads, baselines, alerts, metrics. Contract: docs/api.md.
import type { Registry } from 'prom-client';
import { SEVERITIES, type Severity } from '../../models/alert.ts';
import { BASELINE_KINDS, type BaselineKind } from '../../models/baseline/items.ts';
import type { AlertStore } from '../store/alerts.ts';
import type { BaselineService } from '../service.ts';
import { HttpError, type ApiServer, type Request } from './server.ts';
import { isDuration, parseDuration } from '../config/duration.ts';

function optInt(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `${k} must be an integer (got ${v})`);
  return n;
}

function optTime(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  if (isDuration(v)) return Date.now() - parseDuration(v); // relative: since=15m
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HttpError(400, `${k} must be ISO 8601, epoch ms or a relative duration like 15m (got ${v})`);
  return t;
}

function body(req: Request): Record<string, unknown> {
  const b = req.body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'body must be a JSON object');
  return b as Record<string, unknown>;
}

function container(req: Request): string | undefined {
  const b = (req.body ?? {}) as { container?: unknown };
  const c = req.query.get('container') ?? (typeof b.container === 'string' ? b.container : undefined);
  return c ?? undefined;
}

export function registerRoutes(
  api: ApiServer,
  deps: { service: BaselineService; alerts: AlertStore; registry: Registry; openMetrics?: boolean },
): void {
  const { service, alerts } = deps;
  // metrics carry no secrets and bounded labels; open by default so Prometheus needs no token
  api.route('GET', '/metrics', async () => ({ text: await deps.registry.metrics(), contentType: deps.registry.contentType }), {
    open: deps.openMetrics ?? true,
  });

  api.route('GET', '/v1/workloads', (req) => ({
    json: { workloads: service.list({ namespace: req.query.get('namespace') ?? undefined, state: req.query.get('state') ?? undefined }) },
  }));
  api.route('GET', '/v1/workloads/{id*}/baseline', (req) => {
    const kind = req.query.get('kind') ?? undefined;
    if (kind !== undefined && !BASELINE_KINDS.includes(kind as BaselineKind)) throw new HttpError(400, `kind must be one of ${BASELINE_KINDS.join(', ')}`);
    return { json: { workload: req.params.id, baselines: service.show(req.params.id, container(req), kind as BaselineKind | undefined) } };
  });
  api.route('GET', '/v1/workloads/{id*}/diff', (req) => ({
    json: service.diff(req.params.id, container(req), optInt(req.query, 'from'), optInt(req.query, 'to')),
  }));
  api.route('GET', '/v1/workloads/{id*}/export', (req) => ({ json: service.export(req.params.id) }));
  api.route('POST', '/v1/workloads/{id*}/approve', (req) => {
    const b = body(req);
    return {
      json: service.approve(req.actor, {
        workloadId: req.params.id,
        container: container(req),
        kind: b.kind as BaselineKind | undefined,
        items: b.items as string[] | undefined,
        alertId: typeof b.alertId === 'string' ? b.alertId : undefined,
      }),
    };
  });
  api.route('POST', '/v1/workloads/{id*}/relearn', (req) => ({
    json: { baselines: service.relearn(req.actor, req.params.id, container(req), body(req).reset === true) },
  }));
  api.route('POST', '/v1/workloads/{id*}/lock', (req) => ({ json: { baselines: service.lock(req.actor, req.params.id, container(req), true) } }));
  api.route('POST', '/v1/workloads/{id*}/unlock', (req) => ({ json: { baselines: service.lock(req.actor, req.params.id, container(req), false) } }));
  // approving straight from an alert: the common false-positive workflow
  api.route('POST', '/v1/alerts/{id}/approve', (req) => ({ json: service.approve(req.actor, { alertId: req.params.id }) }));

  api.route('GET', '/v1/alerts', (req) => {
    const sev = req.query.get('severity') ?? undefined;
    if (sev !== undefined && !SEVERITIES.includes(sev as Severity)) throw new HttpError(400, `severity must be one of ${SEVERITIES.join(', ')}`);
    return {
      json: {
        alerts: alerts.list({
          since: optTime(req.query, 'since'),
          workload: req.query.get('workload') ?? undefined,
          severity: sev as Severity | undefined,
          rule: req.query.get('rule') ?? undefined,
          limit: optInt(req.query, 'limit'),
        }),
      },
    };
  });
  api.route('GET', '/v1/alerts/{id}', (req) => {
    const a = alerts.get(req.params.id);
    if (!a) throw new HttpError(404, `alert ${req.params.id} not found`);
    return { json: a };
  });
}
