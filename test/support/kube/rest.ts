// The REST verbs on stored resources, with kube-apiserver's semantics: get, list
// (resourceVersion, limit/continue on a consistent snapshot, selectors), create
// (AlreadyExists, generateName, namespace checks), update and patch (optimistic
// concurrency: a stale metadata.resourceVersion is a 409 Conflict; the status
// subresource split; metadata.generation; a no-op write keeps the revision), delete.
// Custom resources are pruned and validated against their CRD's schema; an object
// bigger than etcd's 1.5 MiB request limit is refused as etcd refuses it.
import { randomBytes } from 'node:crypto';
import { apiVersionOf, rtKey, type ResourceType } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { pruneAndValidate } from './schema.ts';
import { jsonPatch, mergePatch, PatchError } from './patch.ts';
import { ExpiredError, type KubeObject, type Store } from './store.ts';
import { statusBody } from './watch.ts';

/** etcd's default --max-request-bytes */
export const ETCD_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

const qualified = (t: ResourceType): string => (t.group ? `${t.resource}.${t.group}` : t.resource);
const details = (t: ResourceType, name?: string): Record<string, unknown> => ({ ...(name ? { name } : {}), group: t.group, kind: t.resource });

export function notFound(t: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, details(t, name));
}

export function conflict(t: ResourceType, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );
}

function withType(t: ResourceType, o: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(t), kind: t.kind, ...o };
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

export function list(store: Store, t: ResourceType, ns: string | undefined, q: URLSearchParams): Record<string, unknown> {
  const label = parseLabelSelector(q.get('labelSelector'));
  const field = parseFieldSelector(q.get('fieldSelector'), t.fields);
  const rt = rtKey(t);
  const cont = q.get('continue');
  let rv = store.currentRv;
  let after = '';
  let all: KubeObject[];
  if (cont) {
    let tok: { rv: number; start: string };
    try {
      tok = JSON.parse(Buffer.from(cont, 'base64url').toString()) as { rv: number; start: string };
    } catch {
      throw new ApiError(400, 'BadRequest', 'continue key is not valid');
    }
    rv = tok.rv;
    after = tok.start;
    try {
      all = store.listAt(rt, rv, ns);
    } catch (e) {
      if (!(e instanceof ExpiredError)) throw e;
      throw new ApiError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
  } else if (q.get('resourceVersionMatch') === 'Exact' && q.get('resourceVersion')) {
    rv = Number(q.get('resourceVersion'));
    try {
      all = store.listAt(rt, rv, ns);
    } catch (e) {
      if (!(e instanceof ExpiredError)) throw e;
      throw new ApiError(410, 'Expired', `too old resource version: ${rv} (${store.compactedRv})`);
    }
  } else all = store.list(rt, ns);
  const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  let items = all.filter((o) => keyOf(o) > after && label(o.metadata.labels) && field(o as Record<string, unknown>));
  const limit = Number(q.get('limit') ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (limit > 0 && items.length > limit) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    metadata.continue = encodeContinue(rv, keyOf(items[items.length - 1]));
    metadata.remainingItemCount = rest;
  }
  return { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata, items: items.map((o) => withType(t, o)) };
}

export function get(store: Store, t: ResourceType, ns: string | undefined, name: string): KubeObject {
  const o = store.get(rtKey(t), ns, name);
  if (!o) throw notFound(t, name);
  return withType(t, o);
}

function asObject(body: unknown): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'the body of the request was in an unknown format');
  const o = body as KubeObject;
  o.metadata ??= {};
  return o;
}

/** schema (CRDs) and size checks every stored write goes through */
function admit(t: ResourceType, o: KubeObject): void {
  if (t.custom && t.schema) {
    const causes = pruneAndValidate(o as Record<string, unknown>, t.schema);
    if (causes.length > 0) {
      const what = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
      throw new ApiError(422, 'Invalid', `${t.kind}.${t.group} "${o.metadata.name}" is invalid: ${what}`, { ...details(t, o.metadata.name), kind: t.kind, causes });
    }
  }
  if (Buffer.byteLength(JSON.stringify(o)) > ETCD_MAX_OBJECT_BYTES) throw new ApiError(500, 'InternalError', 'etcdserver: request is too large');
}

export function create(store: Store, t: ResourceType, ns: string | undefined, body: unknown): KubeObject {
  const o = asObject(body);
  if (o.kind !== undefined && o.kind !== t.kind) throw new ApiError(400, 'BadRequest', `the kind ${o.kind} does not match the resource ${t.resource}`);
  if (t.namespaced) {
    if (o.metadata.namespace !== undefined && o.metadata.namespace !== ns) {
      throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    o.metadata.namespace = ns;
  } else delete o.metadata.namespace;
  if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
  if (!o.metadata.name) {
    throw new ApiError(422, 'Invalid', `${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, {
      kind: t.kind,
      causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
    });
  }
  if (store.get(rtKey(t), ns, o.metadata.name)) {
    throw new ApiError(409, 'AlreadyExists', `${qualified(t)} "${o.metadata.name}" already exists`, details(t, o.metadata.name));
  }
  // the server owns these
  for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const) delete o.metadata[k];
  if (t.statusSubresource && t.custom) delete o.status;
  o.apiVersion = apiVersionOf(t);
  o.kind = t.kind;
  admit(t, o);
  return store.create(rtKey(t), o, { generation: t.generation });
}

/** JSON with keys sorted: equal objects give equal text whatever their key order */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

const specOf = (o: KubeObject): string => {
  const { metadata: _m, status: _s, ...rest } = o;
  return canonical(rest);
};

/** PUT (or the result of a PATCH) on an object or its status */
export function update(store: Store, t: ResourceType, ns: string | undefined, name: string, body: unknown, sub: string | undefined): KubeObject {
  const o = asObject(body);
  const cur = store.get(rtKey(t), ns, name);
  if (!cur) throw notFound(t, name);
  if (o.metadata.name !== undefined && o.metadata.name !== name) {
    throw new ApiError(400, 'BadRequest', `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
  }
  const rv = o.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion) throw conflict(t, name);
  let next: KubeObject;
  if (sub === 'status') next = { ...cur, status: o.status };
  else {
    next = { ...o, apiVersion: apiVersionOf(t), kind: t.kind };
    if (t.statusSubresource) {
      if (cur.status === undefined) delete next.status;
      else next.status = cur.status;
    }
    const keep = { uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, generation: cur.metadata.generation, namespace: cur.metadata.namespace, name };
    next.metadata = { ...o.metadata, ...keep };
    if (next.metadata.generation === undefined) delete next.metadata.generation;
    if (next.metadata.namespace === undefined) delete next.metadata.namespace;
  }
  admit(t, next);
  if (t.generation && specOf(next) !== specOf(cur)) next.metadata.generation = (cur.metadata.generation ?? 0) + 1;
  next.metadata.resourceVersion = cur.metadata.resourceVersion;
  // a write that changes nothing is not a new revision
  if (canonical(next) === canonical(withType(t, cur))) return withType(t, cur);
  return store.update(rtKey(t), next);
}

export function patch(store: Store, t: ResourceType, ns: string | undefined, name: string, body: unknown, contentType: string, sub: string | undefined): KubeObject {
  const cur = store.get(rtKey(t), ns, name);
  if (!cur) throw notFound(t, name);
  const ct = contentType.split(';')[0].trim();
  let next: unknown;
  try {
    if (ct === 'application/merge-patch+json') next = mergePatch(withType(t, cur), body);
    else if (ct === 'application/json-patch+json') next = jsonPatch(withType(t, cur), body);
    else if (ct === 'application/strategic-merge-patch+json' && !t.custom) next = mergePatch(withType(t, cur), body);
    else throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${t.custom ? '' : ', application/strategic-merge-patch+json'}`);
  } catch (e) {
    if (e instanceof PatchError) throw new ApiError(422, 'Invalid', e.message);
    throw e;
  }
  // a patch that names a resourceVersion is a precondition (optimistic concurrency)
  return update(store, t, ns, name, next, sub);
}

export function remove(store: Store, t: ResourceType, ns: string | undefined, name: string): KubeObject {
  const o = store.delete(rtKey(t), ns, name);
  if (!o) throw notFound(t, name);
  return withType(t, o);
}
