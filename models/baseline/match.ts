// Item matching helpers: glob patterns, similarity for "expected one of", merging
// items when a directory collapses.
import { splitNetKey, type BaselineKind, type Item } from './items.ts';
import { syscallFamily } from './syscall-family.ts';

export function mergeInto(target: Item, src: Item): void {
  target.count += src.count;
  target.firstSeen = Math.min(target.firstSeen, src.firstSeen);
  target.lastSeen = Math.max(target.lastSeen, src.lastSeen);
  for (const n of src.nodes) if (!target.nodes.includes(n)) target.nodes.push(n);
  if (src.detail) {
    target.detail ??= {};
    for (const f of ['parents', 'args', 'ops'] as const) {
      const s = src.detail[f];
      if (!s) continue;
      const t = (target.detail[f] ??= []);
      for (const v of s) if (!t.includes(v) && t.length < 32) t.push(v);
    }
  }
}

/** `*` matches one path segment (or one host), `**` any number of segments. */
export function globToRegExp(glob: string, kind: BaselineKind): RegExp {
  const sep = kind === 'connect' || kind === 'listen' ? '[^:\\s]*' : '[^/]*';
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += sep;
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

export function similarity(kind: BaselineKind, a: string, b: string): number {
  if (kind === 'connect' || kind === 'listen') {
    const pa = splitNetKey(a);
    const pb = splitNetKey(b);
    if (!pa || !pb) return 0;
    return (pa[0] === pb[0] ? 1 : 0) + (pa[2] === pb[2] ? 4 : 0) + commonPrefix(pa[1], pb[1]) / 4;
  }
  // a syscall's neighbours are the calls of its family (syscall-family.ts); others are not close at all
  if (kind === 'syscall') {
    const f = syscallFamily(a);
    return f !== undefined && f === syscallFamily(b) ? 1 : 0;
  }
  // paths: shared leading directories count most, then the same file name
  const sa = a.split('/');
  const sb = b.split('/');
  let s = 0;
  for (let i = 0; i < Math.min(sa.length, sb.length) && sa[i] === sb[i]; i++) s += 2;
  if (sa[sa.length - 1] === sb[sb.length - 1]) s += 3;
  return s;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
