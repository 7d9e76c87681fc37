// The responder API's routes, by area. Contract: docs/api.md and docs/openapi.yaml.
import type { Registry } from 'prom-client';
import type { ApiServer } from '../server.ts';
import type { Responder } from '../../respond/responder.ts';
import { baselineReadRoutes } from './baselines.ts';
import { baselineChangeRoutes } from './changes.ts';
import { alertRoutes } from './alerts.ts';
import { incidentRoutes } from './incidents.ts';
import { auditRoutes } from './audit.ts';
import { exportRoutes } from './exports.ts';

export function registerRoutes(api: ApiServer, deps: { responder: Responder; registry: Registry; openMetrics?: boolean }): void {
  // metrics carry no secrets and bounded labels: open by default so Prometheus needs no token
  api.route('GET', '/metrics', async () => ({ text: await deps.registry.metrics(), contentType: deps.registry.contentType }), {
    access: deps.openMetrics === false ? 'get' : 'open',
    scope: () => ({ nonResource: '/metrics' }),
  });
  baselineReadRoutes(api, deps.responder);
  baselineChangeRoutes(api, deps.responder);
  exportRoutes(api, deps.responder);
  alertRoutes(api, deps.responder);
  incidentRoutes(api, deps.responder);
  auditRoutes(api, deps.responder);
}
