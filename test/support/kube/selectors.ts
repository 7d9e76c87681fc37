// Label and field selectors as kube-apiserver parses them.
// Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma = AND.
// Fields: `path=value`, `path==value`, `path!=value`, comma = AND; only the fields a
// resource type declares are selectable (anything else is a 400, as in a real cluster).

export class SelectorError extends Error {}

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** split on commas outside parentheses */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

const KEY = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(k: string): string {
  if (!KEY.test(k) || k.length > 316) throw new SelectorError(`invalid label key "${k}"`);
  return k;
}
function checkValue(v: string): string {
  if (!VALUE.test(v) || v.length > 63) throw new SelectorError(`invalid label value: "${v}"`);
  return v;
}

export function parseLabelSelector(sel: string | null | undefined): Matcher {
  if (!sel) return () => true;
  const reqs: Matcher[] = [];
  for (const part of splitTop(sel)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const key = checkKey(m[1]);
      const values = new Set(m[3].split(',').map((v) => checkValue(v.trim())));
      const notin = m[2] === 'notin';
      reqs.push((l) => (notin ? !(l?.[key] !== undefined && values.has(l[key])) : l?.[key] !== undefined && values.has(l[key])));
    } else if ((m = /^(\S+?)\s*(!=|==|=)\s*(\S*)$/.exec(part))) {
      const key = checkKey(m[1]);
      const value = checkValue(m[3]);
      if (m[2] === '!=') reqs.push((l) => l?.[key] !== value);
      else reqs.push((l) => l?.[key] === value);
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      const key = checkKey(m[1]);
      reqs.push((l) => l?.[key] === undefined);
    } else if (/^\S+$/.test(part)) {
      const key = checkKey(part);
      reqs.push((l) => l?.[key] !== undefined);
    } else throw new SelectorError(`unable to parse requirement: ${part}`);
  }
  return (l) => reqs.every((r) => r(l));
}

export type FieldGetter = (obj: Record<string, unknown>) => string | undefined;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** a field selector over the fields a type supports; throws SelectorError naming an unsupported one */
export function parseFieldSelector(sel: string | null | undefined, fields: Record<string, FieldGetter>): (obj: Record<string, unknown>) => boolean {
  if (!sel) return () => true;
  const reqs: ((o: Record<string, unknown>) => boolean)[] = [];
  for (const part of sel.split(/(?<!\\),/)) {
    if (part.trim() === '') continue;
    const m = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(part.trim());
    if (!m) throw new SelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
    const get = fields[m[1]];
    if (!get) throw new SelectorError(`field label not supported: ${m[1]}`);
    const value = unescape(m[3]);
    reqs.push(m[2] === '!=' ? (o) => (get(o) ?? '') !== value : (o) => (get(o) ?? '') === value);
  }
  return (o) => reqs.every((r) => r(o));
}

/** a getter for a dotted path (`spec.nodeName`); booleans and numbers as text */
export function pathGetter(path: string): FieldGetter {
  const parts = path.split('.');
  return (o) => {
    let cur: unknown = o;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur === undefined || cur === null ? undefined : String(cur);
  };
}
