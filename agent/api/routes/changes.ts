// Changing baselines: approve, remove, forbid/unforbid, relearn, lock/unlock, import.
// Every route needs a write action (docs/api.md, "Authorisation") and is audited.
import type { ApiServer, Request } from '../server.ts';
import type { Responder } from '../../respond/responder.ts';
import type { BaselineKind } from '../../../models/baseline/items.ts';
import type { ItemsRequest } from '../../respond/mutations.ts';
import { importSchema, type ExportDoc } from '../../respond/exchange.ts';
import { objectDoc, workloadBaselineSchema } from '../../respond/export/workloadbaseline.ts';
import { GROUP, KIND, type WorkloadBaselineObject } from '../../kube/crd.ts';
import { workloadScope } from '../scope.ts';
import { actorOf, optContainer, optEnum, workloadId } from './params.ts';
import { itemsBody, lockBody, relearnBody } from './schemas.ts';

interface ItemsBody {
  kind: BaselineKind;
  items: string[];
  container?: string;
  note?: string;
}

function itemsRequest(req: Request): ItemsRequest {
  const b = req.body as ItemsBody;
  return { workloadId: workloadId(req.params.id), container: optContainer(b.container), kind: b.kind, items: b.items, note: b.note };
}

/**
 * An import body: a WorkloadBaseline object when its kind or API group says so (then
 * checked as one, so a wrong apiVersion or a bad item is named), else a BaselineExport.
 */
export const importBody = {
  if: {
    anyOf: [
      { required: ['kind'], properties: { kind: { const: KIND } } },
      { required: ['apiVersion'], properties: { apiVersion: { type: 'string', pattern: `^${GROUP.replaceAll('.', '\\.')}/` } } },
    ],
  },
  then: workloadBaselineSchema,
  else: importSchema,
};

export function baselineChangeRoutes(api: ApiServer, r: Responder): void {
  const c = r.change;
  api.route('POST', '/v1/workloads/{id*}/approve', (req) => ({ json: c.approveItems(actorOf(req), itemsRequest(req)) }), { access: 'approve', body: itemsBody });
  api.route('POST', '/v1/workloads/{id*}/forbid', (req) => ({ json: c.forbid(actorOf(req), itemsRequest(req)) }), { access: 'patch', body: itemsBody });
  api.route('POST', '/v1/workloads/{id*}/unforbid', (req) => ({ json: c.unforbid(actorOf(req), itemsRequest(req)) }), { access: 'update', body: itemsBody });
  api.route('POST', '/v1/workloads/{id*}/remove', (req) => ({ json: c.removeItems(actorOf(req), itemsRequest(req)) }), { access: 'update', body: itemsBody });
  api.route(
    'POST',
    '/v1/workloads/{id*}/relearn',
    (req) => {
      const b = req.body as { container?: string; reset?: boolean };
      return { json: { baselines: c.relearn(actorOf(req), workloadId(req.params.id), optContainer(b.container), b.reset === true, r.summary) } };
    },
    { access: 'update', body: relearnBody },
  );
  for (const verb of ['lock', 'unlock'] as const) {
    api.route(
      'POST',
      `/v1/workloads/{id*}/${verb}`,
      (req) => {
        const b = req.body as { container?: string };
        return { json: { baselines: c.lock(actorOf(req), workloadId(req.params.id), optContainer(b.container), verb === 'lock', r.summary) } };
      },
      { access: 'patch', body: lockBody },
    );
  }
  api.route(
    'POST',
    '/v1/baselines/import',
    (req) => {
      const target = req.query.get('workload');
      const o = { workload: target === null ? undefined : workloadId(target), mode: optEnum(req.query, 'mode', ['replace', 'merge'] as const) ?? 'replace' };
      const body = req.body as ExportDoc | WorkloadBaselineObject;
      if (body.kind === KIND) return { json: r.import(actorOf(req), objectDoc(body as WorkloadBaselineObject, r.now()), { ...o, format: 'workloadbaseline' }) };
      return { json: r.import(actorOf(req), body as ExportDoc, o) };
    },
    {
      access: 'update',
      query: ['workload', 'mode'],
      body: importBody as unknown as Record<string, unknown>,
      bodyTypes: ['json', 'yaml'],
      // the workload written is the ?workload= target, else the document's (the object's):
      // unknown before the body is read, so importing needs update on workload baselines
      // cluster-wide unless ?workload= names a namespaced one
      scope: (req) => (req.query.get('workload') ? workloadScope(req.query.get('workload')!) : {}),
    },
  );
}
