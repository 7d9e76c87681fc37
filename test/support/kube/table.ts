// Server-side printing: `kubectl get` asks for `as=Table` and prints the columns the
// server chooses — for a custom resource, its CRD's additionalPrinterColumns (plus Age).
import type { ResourceType } from './resources.ts';
import type { KubeObject } from './store.ts';

export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept);
}

/** a JSONPath of the simple forms CRDs use: .a.b, .a[0].b, .a[*].b (joined with commas) */
export function jsonPath(obj: unknown, path: string): unknown {
  let cur: unknown[] = [obj];
  const parts = path.replace(/^\{?\.?/, '').replace(/\}$/, '').split('.').filter(Boolean);
  for (const part of parts) {
    const m = /^([^[]*)(?:\[(\*|\d+)\])?$/.exec(part);
    if (!m) return undefined;
    const next: unknown[] = [];
    for (const c of cur) {
      const v = m[1] ? (c as Record<string, unknown> | undefined)?.[m[1]] : c;
      if (m[2] !== undefined && Array.isArray(v)) next.push(...(m[2] === '*' ? v : [v[Number(m[2])]]));
      else if (v !== undefined) next.push(v);
    }
    cur = next;
  }
  const vals = cur.filter((v) => v !== undefined && v !== null);
  if (vals.length === 0) return undefined;
  return vals.length === 1 ? vals[0] : vals.map(String).join(',');
}

export function asTable(t: ResourceType, items: KubeObject[], listMeta: Record<string, unknown>): Record<string, unknown> {
  const cols = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, jsonPath: '.metadata.name' },
    ...(t.printerColumns ?? []).map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0, jsonPath: c.jsonPath })),
  ];
  if (!cols.some((c) => c.name === 'Age')) cols.push({ name: 'Age', type: 'date', format: '', description: 'CreationTimestamp', priority: 0, jsonPath: '.metadata.creationTimestamp' });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: cols.map(({ jsonPath: _j, ...c }) => c),
    rows: items.map((o) => ({
      cells: cols.map((c) => jsonPath(o, c.jsonPath) ?? null),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
