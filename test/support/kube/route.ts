// Request routing of the emulated API server: a URL path to the resource type it names
// (core /api/v1, groups /apis/{group}/{version}, namespaced or cluster-scoped, name,
// subresource), the Kubernetes authorisation verb of a request, and its JSON body.
import type { IncomingMessage } from 'node:http';
import { apiVersionOf, type ResourceType } from './resources.ts';
import type { Reviews, UserInfo } from './reviews.ts';
import { ApiError } from './rest.ts';
import type { RequestRecord } from './server.ts';

export interface Target {
  t: ResourceType;
  ns?: string;
  name?: string;
  sub?: string;
}

/** URL path → the resource it names (undefined for non-resource paths); fills the record's attributes */
export function resolvePath(types: Map<string, ResourceType>, path: string, rec: RequestRecord): Target | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) [group, version, rest] = ['', segs[1], segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length >= 4) [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
  else return undefined;
  const typeAt = (r: string): ResourceType | undefined => types.get(`${group}/${version}/${r}`);
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && typeAt(rest[2])?.namespaced) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const t = typeAt(rest[0]);
  Object.assign(rec, { group, version, resource: rest[0], ...(ns !== undefined ? { namespace: ns } : {}) });
  if (!t || rest.length > 3 || (ns === undefined && t.namespaced && rest.length > 1)) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const name = rest[1];
  const sub = rest[2];
  if (name !== undefined) rec.name = name;
  if (sub !== undefined) rec.subresource = sub;
  return { t, ...(ns !== undefined ? { ns } : {}), ...(name !== undefined ? { name } : {}), ...(sub !== undefined ? { sub } : {}) };
}

export function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** request body as JSON; 3 MiB as kube-apiserver's limit (413 beyond) */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > 3 * 1024 * 1024) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(c as Buffer);
  }
  if (n === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the body of the request was in an unknown format: ${(e as Error).message}`);
  }
}

/** a 403 as RBAC words it */
export function forbidden(user: UserInfo, rec: RequestRecord): ApiError {
  if (rec.nonResource) return new ApiError(403, 'Forbidden', `forbidden: User "${user.username}" cannot ${rec.verb} path "${rec.path}"`);
  const res = rec.subresource ? `${rec.resource}/${rec.subresource}` : rec.resource;
  const scope = rec.namespace ? `in the namespace "${rec.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${rec.resource}${rec.group ? '.' + rec.group : ''}${rec.name ? ` "${rec.name}"` : ''} is forbidden: User "${user.username}" cannot ${rec.verb} resource "${res}" in API group "${rec.group}" ${scope}`,
    { ...(rec.name ? { name: rec.name } : {}), group: rec.group, kind: rec.resource },
  );
}

/** a TokenReview, SubjectAccessReview or SelfSubjectAccessReview, answered from the programmed tables */
export function answerReview(reviews: Reviews, t: ResourceType, body: unknown, user: UserInfo): Record<string, unknown> {
  const o = (body ?? {}) as { spec?: Record<string, unknown>; metadata?: object };
  const spec = o.spec ?? {};
  let status: object;
  if (t.kind === 'TokenReview') status = reviews.answerTokenReview(spec);
  else if (t.kind === 'SubjectAccessReview') status = reviews.answerSubjectAccessReview(spec);
  else status = reviews.answerSubjectAccessReview({ ...spec, user: user.username, groups: user.groups ?? [] });
  return { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { creationTimestamp: null, ...(o.metadata ?? {}) }, spec, status };
}
