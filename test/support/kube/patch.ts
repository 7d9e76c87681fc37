// PATCH bodies as kube-apiserver applies them: JSON merge patch (RFC 7386) and JSON patch
// (RFC 6902). A strategic merge patch on a built-in type is applied as a merge patch —
// the difference (list merge keys) matters to no caller of this emulator; custom
// resources reject it with 415, as a real cluster does.

export class PatchError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(doc: Json, parts: string[]): [Json, string] {
  let cur: Json = doc;
  for (const p of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') throw new PatchError(`path not found: /${parts.join('/')}`);
    cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, Json>)[p];
    if (cur === undefined) throw new PatchError(`path not found: /${parts.join('/')}`);
  }
  return [cur, parts[parts.length - 1]];
}

function getAt(doc: Json, parts: string[]): Json {
  if (parts.length === 0) return doc;
  const [parent, last] = parentOf(doc, parts);
  const v = Array.isArray(parent) ? parent[Number(last)] : (parent as Record<string, Json>)[last];
  if (v === undefined) throw new PatchError(`path not found: /${parts.join('/')}`);
  return v;
}

function remove(doc: Json, parts: string[]): Json {
  const [parent, last] = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`index out of range: ${last}`);
    return parent.splice(i, 1)[0];
  }
  const o = parent as Record<string, Json>;
  if (!(last in o)) throw new PatchError(`path not found: /${parts.join('/')}`);
  const v = o[last];
  delete o[last];
  return v;
}

function add(doc: Json, parts: string[], value: Json, replace: boolean): Json {
  if (parts.length === 0) return value;
  const [parent, last] = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length)) throw new PatchError(`index out of range: ${last}`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (parent !== null && typeof parent === 'object') {
    if (replace && !(last in parent)) throw new PatchError(`path not found: /${parts.join('/')}`);
    (parent as Record<string, Json>)[last] = value;
  } else throw new PatchError(`cannot add to a scalar at /${parts.join('/')}`);
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is an array of operations');
  let doc = structuredClone(target) as Json;
  for (const o of ops as Op[]) {
    const parts = pointer(o.path);
    switch (o.op) {
      case 'add':
        doc = add(doc, parts, structuredClone(o.value ?? null), false);
        break;
      case 'replace':
        doc = add(doc, parts, structuredClone(o.value ?? null), true);
        break;
      case 'remove':
        remove(doc, parts);
        break;
      case 'move': {
        const v = remove(doc, pointer(o.from ?? ''));
        doc = add(doc, parts, v, false);
        break;
      }
      case 'copy':
        doc = add(doc, parts, structuredClone(getAt(doc, pointer(o.from ?? ''))), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, parts)) !== JSON.stringify(o.value)) throw new PatchError(`test failed at ${o.path}`);
        break;
      default:
        throw new PatchError(`unknown op ${String((o as { op: unknown }).op)}`);
    }
  }
  return doc;
}
