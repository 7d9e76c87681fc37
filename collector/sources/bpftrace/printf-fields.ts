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
  let i = PRINTF.length;
  if (line.charCodeAt(i) !== 72 /* H */ || !tab(line, i + 1)) return false;
  i += 3;
  const tidAt = i;
  let tid = 0;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) tid = tid * 10 + (c - 48);
  if (i === tidAt || i - tidAt > 15 || !tab(line, i)) return false;
  const startAt = (i += 2);
  while (isDigit(line.charCodeAt(i))) i++;
  if (i === startAt || i - startAt > 20 || !tab(line, i)) return false;
  const argStart = line.slice(startAt, i);
  const idxAt = (i += 2);
  let idx = 0;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) idx = idx * 10 + (c - 48);
  if (i === idxAt || i - idxAt > 2 || idx >= ARG_CHUNKS || !tab(line, i)) return false;
  const hexAt = (i += 2);
  // the record's `\n`, then the line's `"}`
  const end = line.length - 4;
  if (end < hexAt || line.charCodeAt(end) !== 92 || line.charCodeAt(end + 1) !== 110) return false;
  for (let j = hexAt; j < end; j++) {
    const c = line.charCodeAt(j);
    if (!(isDigit(c) || (c >= 97 && c <= 102) || c === 32)) return false;
  }
  to.add(tid, argStart, idx, line.slice(hexAt, end), true);
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
  let i = PRINTF.length;
  if (line.charCodeAt(i) !== 80 /* P */ || !tab(line, i + 1)) return false;
  i += 3;
  let at = i;
  // nsecs: kept as text
  while (isDigit(line.charCodeAt(i))) i++;
  if (i === at || i - at > 20 || !tab(line, i)) return false;
  x.nsecs = line.slice(at, i);
  let n = 0;
  // pid, tid, ppid, pppid
  for (let k = 0; k < 4; k++) {
    at = i += 2;
    n = 0;
    for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) n = n * 10 + (c - 48);
    if (i === at || i - at > 15 || !tab(line, i)) return false;
    if (k === 0) x.pid = n;
    else if (k === 1) x.tid = n;
    else if (k === 2) x.ppid = n;
    else x.pppid = n;
  }
  // pfork: any digits; a fork unless it is 0
  at = i += 2;
  while (isDigit(line.charCodeAt(i))) i++;
  if (i === at || i - at > 20 || !tab(line, i)) return false;
  x.forked = !(i - at === 1 && line.charCodeAt(at) === 48);
  // cgroup id: text
  at = i += 2;
  while (isDigit(line.charCodeAt(i))) i++;
  if (i === at || i - at > 20 || !tab(line, i)) return false;
  x.cgroup = line.slice(at, i);
  // uid
  at = i += 2;
  n = 0;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) n = n * 10 + (c - 48);
  if (i === at || i - at > 15 || !tab(line, i)) return false;
  x.uid = n;
  // argStart: text
  at = i += 2;
  while (isDigit(line.charCodeAt(i))) i++;
  if (i === at || i - at > 20 || !tab(line, i)) return false;
  x.argStart = line.slice(at, i);
  // argLen
  at = i += 2;
  n = 0;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) n = n * 10 + (c - 48);
  if (i === at || i - at > 15 || !tab(line, i)) return false;
  x.argLen = n;
  // the parent's name: printable ASCII but quote and backslash, then its padding
  at = i += 2;
  for (let c = line.charCodeAt(i); c >= 32 && c <= 126 && c !== 34 && c !== 92; c = line.charCodeAt(++i));
  const head = i;
  while (line.startsWith(ESCAPED_NUL, i)) i += 5;
  if (!tab(line, i)) return false;
  x.pcomm = line.slice(at, head);
  // the file name, to the record's `\n` and the line's `"}`
  at = i += 2;
  const end = line.length - 4;
  if (end < at || line.charCodeAt(end) !== 92 || line.charCodeAt(end + 1) !== 110) return false;
  for (let j = at; j < end; j++) {
    const c = line.charCodeAt(j);
    if (c < 32 || c === 34 || c === 92) return false;
  }
  x.filename = line.slice(at, end);
  return true;
}
