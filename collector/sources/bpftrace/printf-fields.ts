// A printf record's fields straight from bpftrace's JSON line, without JSON.parse (the
// parser's fast path, parse.ts): the JSON decides every line this cannot take exactly.

/** how bpftrace -f json starts a printf record's line (its JSON is written by hand, spacing included) */
export const PRINTF = '{"type": "printf", "data": "';

/**
 * The fields of a printf line `{"type": "printf", "data": "…"}` without JSON.parse, when
 * its data holds no escape but the tabs between fields, the final newline and escaped
 * backslashes (%r fields: the NUL padding of a comm prints as `\x00`): split at the
 * escaped tabs. That is almost every record; paths and comms with a quote, a control
 * character or a newline are rare. Undefined sends the line to JSON.parse, which then
 * decides as before; for the lines taken here both give the same fields.
 *
 * Why splitting at `\t` is exact: a `\t` whose backslash belongs to an escaped
 * backslash (`\\t`, a backslash then the letter t) leaves an odd backslash at the end
 * of the field before it, and a field keeps only whole `\\` pairs.
 */
export function printfFields(line: string): string[] | undefined {
  let inner = line.slice(PRINTF.length, -2);
  if (inner.endsWith('\\n')) inner = inner.slice(0, -2);
  if (inner.indexOf('"') >= 0 || CONTROL.test(inner)) return undefined;
  const f = inner.split('\\t');
  for (let i = 0; i < f.length; i++) {
    const x = f[i];
    if (x.indexOf('\\') < 0) continue;
    const u = unescapePairs(x);
    if (u === undefined) return undefined;
    f[i] = u;
  }
  return f;
}

/** `\x00` × n as the unescaped field holds it, for n up to a comm's 16 bytes */
const PADDING = Array.from({ length: 17 }, (_, n) => '\\x00'.repeat(n));
/** a comm's NUL padding as bpftrace's JSON holds it: `\\x00` */
const ESCAPED_NUL = '\\\\x00';

/**
 * x with each `\\` pair made one backslash; undefined when a backslash is not in a pair
 * (another JSON escape: JSON.parse decides). The usual case, a comm's NUL padding to the
 * end of the field, is its text before the padding and a shared padding string: two
 * `replaceAll` calls here allocated ~1.6 KB per exec record, the source's largest share.
 */
function unescapePairs(x: string): string | undefined {
  const first = x.indexOf('\\');
  const n = (x.length - first) / 5;
  if (n <= 16 && Number.isInteger(n)) {
    let pos = first;
    while (pos < x.length && x.startsWith(ESCAPED_NUL, pos)) pos += 5;
    if (pos === x.length) return x.slice(0, first) + PADDING[n];
  }
  let out = '';
  let from = 0;
  for (let i = x.indexOf('\\'); i >= 0; i = x.indexOf('\\', i + 2)) {
    if (x.charCodeAt(i + 1) !== 92) return undefined;
    out += x.slice(from, i + 1);
    from = i + 2;
  }
  return out + x.slice(from);
}

/** a raw control character: not valid inside a JSON string, so JSON.parse is the judge */
const CONTROL = /[\u0000-\u001f]/;
