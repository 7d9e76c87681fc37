// A CRD's structural schema applied as kube-apiserver applies it to a custom object:
// unknown fields are PRUNED (silently dropped, unless x-kubernetes-preserve-unknown-fields),
// then the rest is validated (422 Invalid with one cause per problem). A client that
// writes a field its CRD does not declare loses it here as it would in a real cluster.
import { Ajv, type ErrorObject } from 'ajv';

export type OpenApiSchema = {
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  additionalProperties?: OpenApiSchema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [k: string]: unknown;
};

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new WeakMap<OpenApiSchema, ReturnType<typeof ajv.compile>>();

export function prune(value: unknown, schema: OpenApiSchema | undefined): unknown {
  if (schema === undefined || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => prune(v, schema.items)) : value;
  const o = value as Record<string, unknown>;
  const props = schema.properties;
  const addl = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (!props && !addl) return schema['x-kubernetes-preserve-unknown-fields'] ? o : schema.additionalProperties === true ? o : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (props?.[k]) out[k] = prune(v, props[k]);
    else if (addl) out[k] = prune(v, addl);
    else if (schema['x-kubernetes-preserve-unknown-fields']) out[k] = v;
  }
  return out;
}

function fieldOf(e: ErrorObject): string {
  let f = '';
  for (const p of e.instancePath.split('/').slice(1)) f += /^\d+$/.test(p) ? `[${p}]` : (f ? '.' : '') + p;
  if (e.keyword === 'required') f += (f ? '.' : '') + (e.params as { missingProperty: string }).missingProperty;
  return f;
}

/**
 * Prunes `obj` (everything but apiVersion/kind/metadata) in place and returns the
 * validation causes (empty when valid).
 */
export function pruneAndValidate(obj: Record<string, unknown>, schema: OpenApiSchema): Cause[] {
  const top = schema.properties ?? {};
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (top[k]) obj[k] = prune(obj[k], top[k]);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) delete obj[k];
  }
  let v = compiled.get(schema);
  if (!v) {
    // metadata is the server's (ObjectMeta), never the CRD schema's to judge
    const { metadata: _m, ...rest } = schema.properties ?? {};
    compiled.set(schema, (v = ajv.compile({ ...schema, properties: rest })));
  }
  const body = { ...obj };
  delete body.metadata;
  if (v(body)) return [];
  return (v.errors ?? []).map((e) => ({
    reason: e.keyword === 'required' ? 'FieldValueRequired' : e.keyword === 'enum' ? 'FieldValueNotSupported' : 'FieldValueInvalid',
    message: e.keyword === 'required' ? 'Required value' : `Invalid value: ${JSON.stringify(e.data)}: ${e.message ?? 'invalid'}`,
    field: fieldOf(e),
  }));
}
