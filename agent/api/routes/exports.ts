// Exports of a learned baseline: the baseline itself (GitOps), and least-privilege
// settings derived from it — a seccomp profile, a NetworkPolicy, a writable-paths report.
import type { ApiServer, Request } from '../server.ts';
import { HttpError } from '../errors.ts';
import type { Responder } from '../../respond/responder.ts';
import { seccompFrom, seccompProfileObject } from '../../respond/export/seccomp.ts';
import { dnsLabelName, kubePeer, networkPolicyFrom, type PeerSelector } from '../../respond/export/networkpolicy.ts';
import { splitNetKey } from '../../../models/baseline/items.ts';
import { writableReport } from '../../respond/export/writable.ts';
import { workloadBaselineObject } from '../../respond/export/workloadbaseline.ts';
import { optContainer, optEnum, optString, workloadId } from './params.ts';

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** "app=web,tier=front" → labels, checked as Kubernetes label syntax */
export function parseLabels(v: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of v.split(',')) {
    const eq = pair.indexOf('=');
    const k = pair.slice(0, eq).trim();
    const val = pair.slice(eq + 1).trim();
    if (eq < 0 || !LABEL_KEY.test(k) || k.length > 316 || !LABEL_VALUE.test(val)) throw new HttpError(400, `${what} must be key=value pairs with Kubernetes label syntax, comma-separated (got ${JSON.stringify(pair.slice(0, 80))})`);
    out[k] = val;
  }
  return out;
}

function paths(v: string | undefined): string[] {
  if (v === undefined) return [];
  return v.split(',').map((p) => {
    if (!/^\/[\x21-\x7e]*$/.test(p) || p.split('/').some((s) => s === '..' || s === '.')) throw new HttpError(400, `mounts must be absolute paths, comma-separated (got ${JSON.stringify(p.slice(0, 80))})`);
    return p.replace(/\/+$/, '') || '/';
  });
}

export function exportRoutes(api: ApiServer, r: Responder): void {
  /** the workload's baselines named by the path (and ?container=) */
  const chosen = (req: Request) => {
    const id = workloadId(req.params.id);
    const bs = r.lookup.containersOf(id, optContainer(req.query.get('container')));
    return { id, bs, snaps: bs.map((b) => b.snapshot()) };
  };
  api.route(
    'GET',
    '/v1/workloads/{id*}/export',
    (req) => {
      const id = workloadId(req.params.id);
      const container = optContainer(req.query.get('container'));
      const format = optEnum(req.query, 'format', ['document', 'workloadbaseline'] as const) ?? 'document';
      return { json: format === 'document' ? r.export(id, container) : workloadBaselineObject(id, r.lookup.containersOf(id, container)) };
    },
    { access: 'get', query: ['container', 'format'] },
  );

  api.route(
    'GET',
    '/v1/workloads/{id*}/seccomp',
    (req) => {
      const { bs, snaps } = chosen(req);
      const x = seccompFrom(snaps);
      const format = optEnum(req.query, 'format', ['localhost', 'operator', 'report'] as const) ?? 'localhost';
      if (format === 'report') return { json: x };
      const m = bs[0].meta;
      if (format === 'operator') {
        const notes = [...(x.added.length ? [`allowed for the container runtime: ${x.added.join(', ')}`] : []), ...(x.skipped.length ? [`observed but unnamed, left out: ${x.skipped.join(', ')}`] : [])];
        const obj = seccompProfileObject(x.profile, dnsLabelName(`${m.workloadName}${bs.length === 1 ? '-' + m.container : ''}`, 253), m.namespace, { 'app.kubernetes.io/managed-by': 'habitwatch' });
        if (notes.length) (obj.metadata as Record<string, unknown>).annotations = { 'habitwatch.dev/notes': notes.join('; ') };
        return { json: obj };
      }
      return { json: x.profile, headers: { 'X-Habitwatch-Added': x.added.join(',') || '-', 'X-Habitwatch-Skipped': x.skipped.join(',') || '-' } };
    },
    { access: 'get', query: ['container', 'format'] },
  );

  api.route(
    'GET',
    '/v1/workloads/{id*}/networkpolicy',
    async (req) => {
      const id = workloadId(req.params.id);
      const bs = r.lookup.containersOf(id);
      const m = bs[0].meta;
      const namespace = m.namespace;
      if (!namespace) throw new HttpError(409, `${id} is not a Kubernetes workload (it has no namespace): a NetworkPolicy cannot select it`);
      const snaps = bs.map((b) => b.snapshot());
      const sel = optString(req.query, 'podSelector', 1024);
      const notes: string[] = [];
      // the pods of this workload: as given, else as its controller selects them, else assumed
      let podLabels = sel !== undefined ? parseLabels(sel, 'podSelector') : await r.selectors?.workload(namespace, m.workloadKind, m.workloadName);
      if (!podLabels) {
        podLabels = { 'app.kubernetes.io/name': m.workloadName };
        notes.push(`podSelector assumed app.kubernetes.io/name=${m.workloadName}; pass podSelector= with the pods' labels`);
      }
      // Kubernetes peers: their pods' labels from the API when the agent has one
      const resolved = new Map<string, PeerSelector>();
      for (const s of snaps) {
        for (const it of s.items.connect ?? []) {
          const host = splitNetKey(it.key)?.[1];
          const p = host !== undefined ? kubePeer(host) : undefined;
          if (!p || resolved.has(host!)) continue;
          const labels = p.type === 'service' ? await r.selectors?.service(p.namespace, p.name) : await r.selectors?.workload(p.namespace, p.kind!, p.name);
          resolved.set(host!, { namespace: p.namespace, ...(labels ? { podLabels: labels } : {}) });
        }
      }
      const x = networkPolicyFrom(snaps, { namespace, name: m.workloadName, podLabels, resolve: (h) => resolved.get(h) });
      notes.push(...x.notes);
      if (notes.length) (x.policy.metadata as Record<string, unknown>).annotations = { 'habitwatch.dev/notes': notes.join('; ') };
      return { json: x.policy };
    },
    { access: 'get', query: ['podSelector'] },
  );

  api.route(
    'GET',
    '/v1/workloads/{id*}/writable-paths',
    (req) => {
      const { id, snaps } = chosen(req);
      return { json: writableReport(id, snaps, paths(optString(req.query, 'mounts', 4096))) };
    },
    { access: 'get', query: ['container', 'mounts'] },
  );
}
