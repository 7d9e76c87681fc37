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
    if (x.replaceAll('\\\\', '').indexOf('\\') >= 0) return undefined;
    f[i] = x.replaceAll('\\\\', '\\');
  }
  return f;
}

/** a raw control character: not valid inside a JSON string, so JSON.parse is the judge */
const CONTROL = /[\u0000-\u001f]/;
