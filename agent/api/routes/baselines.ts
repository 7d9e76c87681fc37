// Reading baselines: workloads, what a workload normally does, what changed.
import type { ApiServer } from '../server.ts';
import { workloadScope } from '../scope.ts';
import { HttpError } from '../errors.ts';
import type { Responder } from '../../respond/responder.ts';
import { optBool, optContainer, optEnum, optInt, optKind, optTime, workloadId } from './params.ts';

const STATES = ['learning', 'stable', 'unstable', 'relearning', 'locked'] as const;

export function baselineReadRoutes(api: ApiServer, r: Responder): void {
  api.route(
    'GET',
    '/v1/workloads',
    (req) => ({
      json: { workloads: r.lookup.list({ namespace: req.query.get('namespace') ?? undefined, state: optEnum(req.query, 'state', STATES) }) },
    }),
    { access: 'list', query: ['namespace', 'state'] },
  );

  api.route(
    'GET',
    '/v1/workloads/{id*}/baseline',
    (req) => {
      const id = workloadId(req.params.id);
      const shown = r.lookup.show(id, { container: optContainer(req.query.get('container')), kind: optKind(req.query), patterns: optBool(req.query, 'patterns') });
      return { json: { workload: id, baselines: shown } };
    },
    { access: 'get', query: ['container', 'kind', 'patterns'] },
  );

  api.route(
    'GET',
    '/v1/workloads/{id*}/diff',
    (req) => {
      const q = req.query;
      const id = workloadId(req.params.id);
      const container = optContainer(q.get('container'));
      const modes = [q.has('from') || q.has('to'), q.has('against'), q.has('since') || q.has('until')].filter(Boolean).length;
      if (modes > 1) throw new HttpError(400, 'diff takes one of: from/to (versions), against (another workload), since/until (a time range)');
      if (q.has('againstContainer') && !q.has('against')) throw new HttpError(400, 'againstContainer needs against');
      if (q.has('against')) {
        const other = workloadId(q.get('against')!, 'against');
        return { json: r.diff.workloads(id, container, other, optContainer(q.get('againstContainer'), 'againstContainer')) };
      }
      if (q.has('since') || q.has('until')) {
        const now = r.now();
        const since = optTime(q, 'since', now);
        if (since === undefined) throw new HttpError(400, 'until needs since');
        return { json: r.diff.range(id, container, since, optTime(q, 'until', now), now) };
      }
      return { json: r.diff.versions(id, container, optInt(q, 'from', 1, 1e9), optInt(q, 'to', 1, 1e9)) };
    },
    {
      access: 'get',
      query: ['container', 'from', 'to', 'against', 'againstContainer', 'since', 'until'],
      // reading a diff against another workload reads that workload too
      scope: (req) => [workloadScope(req.params.id), ...(req.query.get('against') ? [workloadScope(req.query.get('against')!)] : [])],
    },
  );
}
