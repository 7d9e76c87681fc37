// A printf record's fields straight from bpftrace's JSON line, without JSON.parse (the
// parser's fast path, parse.ts): the JSON decides every line this cannot take exactly.
import { ARG_CHUNKS } from './argv-records.ts';

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

/**
 * An argv chunk's line (H, half of all exec records) taken apart in one pass, without the
 * splitting and unescaping above: `H\t<tid>\t<argStart>\t<idx>\t<hex>\n` holds only
 * digits, lowercase hex and spaces, so nothing in it is escaped and the JSON string is
 * its text. Any other form returns false and the line takes the general path, which
 * decides as before (bad input included). `to.add` gets the fields.
 */
export function argvLine(line: string, to: { add(tid: number, argStart: string, idx: number, hex: string, isHex: boolean): void }): boolean {
  const p = PRINTF.length;
  if (line.charCodeAt(p) !== 72 /* H */ || !tab(line, p + 1)) return false;
  const tidAt = p + 3;
  const tidEnd = digitsTo(line, tidAt, 15);
  if (tidEnd < 0) return false;
  const startEnd = digitsTo(line, tidEnd + 2, 20);
  if (startEnd < 0) return false;
  const idxEnd = digitsTo(line, startEnd + 2, 2);
  if (idxEnd < 0) return false;
  const idx = digitsValue(line, startEnd + 2, idxEnd);
  if (idx >= ARG_CHUNKS) return false;
  const hexAt = idxEnd + 2;
  // the record's `\n`, then the line's `"}`
  const end = line.length - 4;
  if (end < hexAt || line.charCodeAt(end) !== 92 || line.charCodeAt(end + 1) !== 110) return false;
  for (let j = hexAt; j < end; j++) {
    const c = line.charCodeAt(j);
    if (!(isDigit(c) || (c >= 97 && c <= 102) || c === 32)) return false;
  }
  to.add(digitsValue(line, tidAt, tidEnd), line.slice(tidEnd + 2, startEnd), idx, line.slice(hexAt, end), true);
  return true;
}

/** `\t` (a backslash, then t) at i */
const tab = (s: string, i: number): boolean => s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 116;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** an exec record's fields, decoded (parse.ts fills one and reuses it) */
export interface ExecFields {
  nsecs: string;
  pid: number;
  tid: number;
  ppid: number;
  /** the parent's parent (P records); -1: not in the record (E, X) */
  pppid: number;
  forked: boolean;
  cgroup: string;
  uid: number;
  argStart: string;
  argLen: number;
  /** the parent's name, its NUL padding cut; '' none */
  pcomm: string;
  filename: string;
}

export const newExecFields = (): ExecFields => ({ nsecs: '', pid: 0, tid: 0, ppid: 0, pppid: -1, forked: false, cgroup: '', uid: 0, argStart: '', argLen: 0, pcomm: '', filename: '' });

/**
 * An exec record's line (P) taken apart in one pass, as argvLine does for H: its ten
 * numbers are digits only (at most 15 for those read as numbers, 20 for those kept as
 * text), the parent's name is printable ASCII with no quote or backslash, then its NUL
 * padding (`\\x00`, as the JSON holds %r's `\x00`), and the file name holds no quote,
 * backslash or control character — so nothing in the line is escaped but the padding,
 * which is cut. Any other form (a negative number, an escape in either name) returns
 * false and takes the general path. Fills `x`.
 */
export function execLine(line: string, x: ExecFields): boolean {
  const p = PRINTF.length;
  if (line.charCodeAt(p) !== 80 /* P */ || !tab(line, p + 1)) return false;
  const at = STARTS;
  let i = p + 3;
  for (let k = 0; k < 10; k++) {
    const end = digitsTo(line, i, AS_NUMBER[k] ? 15 : 20);
    if (end < 0) return false;
    at[k] = i;
    i = end + 2;
  }
  at[10] = i;
  x.nsecs = line.slice(at[0], at[1] - 2);
  x.pid = digitsValue(line, at[1], at[2] - 2);
  x.tid = digitsValue(line, at[2], at[3] - 2);
  x.ppid = digitsValue(line, at[3], at[4] - 2);
  x.pppid = digitsValue(line, at[4], at[5] - 2);
  // pfork: a fork unless it is 0
  x.forked = !(at[6] - 2 - at[5] === 1 && line.charCodeAt(at[5]) === 48);
  x.cgroup = line.slice(at[6], at[7] - 2);
  x.uid = digitsValue(line, at[7], at[8] - 2);
  x.argStart = line.slice(at[8], at[9] - 2);
  x.argLen = digitsValue(line, at[9], at[10] - 2);
  // the parent's name: printable ASCII but quote and backslash, then its padding
  for (let c = line.charCodeAt(i); c >= 32 && c <= 126 && c !== 34 && c !== 92; c = line.charCodeAt(++i));
  const head = i;
  while (line.startsWith(ESCAPED_NUL, i)) i += 5;
  if (!tab(line, i)) return false;
  x.pcomm = line.slice(at[10], head);
  // the file name, to the record's `\n` and the line's `"}`
  const from = i + 2;
  const end = line.length - 4;
  if (end < from || line.charCodeAt(end) !== 92 || line.charCodeAt(end + 1) !== 110) return false;
  for (let j = from; j < end; j++) {
    const c = line.charCodeAt(j);
    if (c < 32 || c === 34 || c === 92) return false;
  }
  x.filename = line.slice(from, end);
  return true;
}

/** where each of a P line's fields starts (execLine's scratch: ten numbers, then the parent's name) */
const STARTS = new Int32Array(11);
/** nsecs pid tid ppid pppid pfork cgroup uid argStart argLen: read as a number (≤ 15 digits, exact) or kept as text (≤ 20) */
const AS_NUMBER = [false, true, true, true, true, false, false, true, false, true];

/** where the field of 1 to max digits at `at` ends (the tab after it), or -1 */
function digitsTo(s: string, at: number, max: number): number {
  let i = at;
  while (isDigit(s.charCodeAt(i))) i++;
  return i > at && i - at <= max && tab(s, i) ? i : -1;
}

/** the number the digits s[from, to) spell */
function digitsValue(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}
