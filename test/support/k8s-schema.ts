// Kubernetes objects checked against the Kubernetes OpenAPI schemas, as the maintained
// kubernetes-models packages carry them (built-in kinds; prometheus-operator's CRDs from
// @kubernetes-models/prometheus-operator), plus a strict-fields check: @kubernetes/client-node's
// typed models (the same OpenAPI) drop fields they do not know on a round trip, as the
// API server's strict field validation rejects them — a misspelt readOnlyRootFilesystem
// must not pass silently. A kind no package knows is a problem, never skipped.
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { parse } from 'yaml';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

const CRD_MODELS: Record<string, string> = { 'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1' };

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const spec = CRD_MODELS[apiVersion] ?? `kubernetes-models/${apiVersion}`;
  try {
    return ((await import(spec)) as Record<string, ModelClass | undefined>)[kind];
  } catch {
    return undefined;
  }
}

/** fields of `a` missing in `b`, as paths */
function lost(a: unknown, b: unknown, at: string, out: string[]): void {
  if (Array.isArray(a)) {
    a.forEach((x, i) => lost(x, Array.isArray(b) ? b[i] : undefined, `${at}[${i}]`, out));
  } else if (typeof a === 'object' && a !== null) {
    const o = (typeof b === 'object' && b !== null ? b : {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(a)) {
      if (!(k in o)) out.push(`${at}.${k}`);
      else lost(v, o[k], `${at}.${k}`, out);
    }
  }
}

/** Problems of one object (empty when it is valid). */
export async function schemaProblems(doc: Record<string, unknown>): Promise<string[]> {
  const { apiVersion, kind } = doc as { apiVersion?: string; kind?: string };
  const name = `${kind}/${(doc.metadata as { name?: string } | undefined)?.name}`;
  if (!apiVersion || !kind) return [`${name}: no apiVersion/kind`];
  const Model = await modelOf(apiVersion, kind);
  if (!Model) return [`${name}: no schema for ${apiVersion} ${kind}`];
  const out: string[] = [];
  try {
    new Model(doc).validate();
  } catch (e) {
    out.push(`${name}: ${(e as Error).message}`);
  }
  const typed = loadYaml<object>(JSON.stringify(doc));
  // client-node types built-in kinds only; custom resources come back as they went in
  if (typed.constructor.name !== 'KubernetesObject') {
    const unknown: string[] = [];
    lost(doc, parse(dumpYaml(typed)), '', unknown);
    for (const f of unknown) out.push(`${name}: unknown field ${f.slice(1)}`);
  }
  return out;
}
