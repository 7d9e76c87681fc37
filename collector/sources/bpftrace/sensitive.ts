// The sensitive-path list: which read-only opens the bpftrace program reports. Reads are
// the commonest file operation of every workload, so the list is compiled into the
// program and matched in the kernel: an ordinary open costs a few register compares of
// its path's first eight bytes and never reaches user space. Only opens of a listed path
// (service-account tokens, /etc/shadow, SSH keys, cloud credentials, /proc/PID/environ…)
// become `file_open` records.
//
// Pattern syntax (validated at config load): an absolute path; a trailing `/` means
// everything below that directory; at most one `*`, which stands for one or more
// characters of a single path segment (`/home/*/.ssh/`, `/etc/ssh/ssh_host_*_key`).
//
// The kernel matcher compares the path in 8/4/2/1-byte words read from user memory at
// fixed offsets (no string copies: a BPF program has a 512-byte stack). A `*` is matched
// by finding the end of its segment (the first `/` or NUL within 32 bytes) and comparing
// the rest from there. The same patterns are matched again in user space (`matchesAny`),
// exactly, on the rare records that arrive.

/** a compiled pattern: `prefix` [`*` `mid` `rest`] where mid is the in-segment tail after the star */
export interface SensitivePattern {
  text: string;
  /** literal before the star (or the whole pattern) */
  prefix: string;
  star: boolean;
  /** literal after the star up to the segment's end (`_key` in `ssh_host_*_key`) */
  mid: string;
  /** literal from the segment's end on (`/.ssh/`, `/environ`), '' when the star ends the pattern */
  rest: string;
  /** trailing `/`: every path below matches */
  dir: boolean;
}

/** the longest run a `*` may stand for in the kernel matcher */
export const STAR_MAX = 32;

export const DEFAULT_SENSITIVE_PATHS: readonly string[] = [
  // Kubernetes service-account and projected tokens (/var/run is a symlink to /run on
  // most images, and either spelling reaches open())
  '/var/run/secrets/',
  '/run/secrets/',
  // local account passwords
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  // SSH private keys and authorised keys
  '/etc/ssh/ssh_host_*_key',
  '/root/.ssh/',
  '/home/*/.ssh/',
  // cloud and cluster credentials
  '/root/.aws/',
  '/home/*/.aws/',
  '/root/.config/gcloud/',
  '/home/*/.config/gcloud/',
  '/root/.azure/',
  '/home/*/.azure/',
  '/root/.kube/',
  '/home/*/.kube/',
  '/root/.docker/config.json',
  '/home/*/.docker/config.json',
  '/root/.git-credentials',
  '/home/*/.git-credentials',
  '/root/.netrc',
  '/home/*/.netrc',
  '/etc/kubernetes/',
  '/var/lib/kubelet/pki/',
  '/etc/ssl/private/',
  // another process's environment (secrets passed as env variables)
  '/proc/*/environ',
];

export class SensitivePatternError extends Error {}

/** parse and validate one pattern (throws SensitivePatternError with the reason) */
export function parsePattern(text: string): SensitivePattern {
  const bad = (why: string): never => {
    throw new SensitivePatternError(`sensitive path ${JSON.stringify(text)}: ${why}`);
  };
  if (!text.startsWith('/')) bad('must be absolute');
  if (text.length > 200) bad('longer than 200 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f"\\]/.test(text)) bad('control characters, quotes and backslashes are not allowed');
  if (text.includes('//')) bad('empty path segment');
  const stars = text.split('*').length - 1;
  if (stars > 1) bad('at most one * is supported');
  const dir = text.endsWith('/');
  if (!dir && text.length < 2) bad('too short');
  if (stars === 0) return { text, prefix: text, star: false, mid: '', rest: '', dir };
  const at = text.indexOf('*');
  const prefix = text.slice(0, at);
  const after = text.slice(at + 1);
  if (after === '' || after === '/') bad('a * must be followed by more of the path');
  if (prefix.length < 2) bad('a * needs a literal directory before it');
  const slash = after.indexOf('/');
  const mid = slash < 0 ? after : after.slice(0, slash);
  const rest = slash < 0 ? '' : after.slice(slash);
  return { text, prefix, star: true, mid, rest, dir };
}

export function parsePatterns(list: readonly string[]): SensitivePattern[] {
  return list.map(parsePattern);
}

/** exact user-space match of one path against a pattern */
export function matches(p: SensitivePattern, path: string): boolean {
  if (!p.star) return p.dir ? path.startsWith(p.prefix) : path === p.prefix;
  if (!path.startsWith(p.prefix)) return false;
  let end = path.indexOf('/', p.prefix.length);
  if (end < 0) end = path.length;
  const seg = path.slice(p.prefix.length, end);
  if (seg.length <= p.mid.length || !seg.endsWith(p.mid)) return false;
  const tail = path.slice(end);
  if (p.dir) return tail.startsWith(p.rest);
  return tail === p.rest;
}

export function matchesAny(patterns: readonly SensitivePattern[], path: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (matches(patterns[i], path)) return true;
  return false;
}

// --- kernel matcher code generation -------------------------------------------------

const hex = (n: bigint): string => '0x' + n.toString(16);

/** little-endian value of up to 8 bytes of s from byte i */
function word(b: Buffer, i: number, n: number): bigint {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
  return v;
}

/**
 * Conditions (each a bpftrace boolean expression) that the literal `lit` is at address
 * `addr` + off: one user-memory read per 8/4/2/1-byte piece. `first` is the already-read
 * first word when off is 0 (every pattern shares it).
 */
function literalAt(lit: string, addr: string, skipFirst: boolean): string[] {
  const b = Buffer.from(lit, 'latin1');
  const out: string[] = [];
  let i = skipFirst ? Math.min(8, b.length) : 0;
  while (i < b.length) {
    const left = b.length - i;
    const n = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
    const at = i === 0 ? addr : `${addr} + ${i}`;
    out.push(`*(uint${n * 8} *)uptr(${at}) == ${hex(word(b, i, n))}`);
    i += n;
  }
  return out;
}

/** the first-word test shared by patterns starting with the same ≤8 bytes */
function firstWordTest(lit: string, w0: string): string {
  const b = Buffer.from(lit, 'latin1');
  const n = Math.min(8, b.length);
  const v = word(b, 0, n);
  if (n === 8) return `${w0} == ${hex(v)}`;
  return `(${w0} & ${hex((1n << BigInt(n * 8)) - 1n)}) == ${hex(v)}`;
}

function nested(conds: string[], body: string, indent: string): string {
  if (conds.length === 0) return `${indent}${body}\n`;
  // nested ifs rather than &&: each read happens only when the ones before it matched
  let s = '';
  let ind = indent;
  for (const c of conds) {
    s += `${ind}if (${c}) {\n`;
    ind += '  ';
  }
  s += `${ind}${body}\n`;
  for (let i = conds.length - 1; i >= 0; i--) s += `${indent}${'  '.repeat(i)}}\n`;
  return s;
}

/**
 * bpftrace statements that set `hit` to 1 when the string at user address `addr`
 * (a uint64 variable) matches one of the patterns. With `relative`, the patterns are
 * matched without their leading `/` (a path relative to a cwd that is the root).
 * `w0` must already hold the first 8 bytes at addr. Scratch variables start with `$sp_`.
 */
export function matcherCode(patterns: readonly SensitivePattern[], opts: { addr: string; w0: string; hit: string; relative: boolean; indent?: string }): string {
  const ind = opts.indent ?? '';
  const { addr, w0, hit } = opts;
  if (patterns.length === 0) return `${ind}${hit} = 0;\n`;
  const strip = (s: string): string => (opts.relative ? s.slice(1) : s);
  // group by the first word's test: one compare rules out every pattern of a group
  const groups = new Map<string, SensitivePattern[]>();
  for (const p of patterns) {
    const key = firstWordTest(strip(p.prefix), w0);
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  let s = `${ind}${hit} = 0;\n`;
  for (const [test, ps] of groups) {
    s += `${ind}if (${hit} == 0 && ${test}) {\n`;
    ps.forEach((p, i) => (s += patternCode(p, strip(p.prefix), addr, hit, ind + '  ', i > 0)));
    s += `${ind}}\n`;
  }
  return s;
}

/** `guard`: an earlier pattern of the group may have matched already */
function patternCode(p: SensitivePattern, prefix: string, addr: string, hit: string, ind: string, guard: boolean): string {
  const pre = literalAt(prefix, addr, true);
  const plen = Buffer.byteLength(prefix, 'latin1');
  const g = guard ? [`${hit} == 0`] : [];
  if (!p.star) {
    const conds = [...g, ...pre];
    if (!p.dir) conds.push(`*(uint8 *)uptr(${addr} + ${plen}) == 0`);
    return nested(conds, `${hit} = 1;`, ind);
  }
  const open = [...g, ...pre];
  let s = '';
  let i = ind;
  for (const c of open) {
    s += `${i}if (${c}) {\n`;
    i += '  ';
  }
  // the star: find the end of its segment (first '/' or NUL) within STAR_MAX bytes,
  // reading a word at a time and testing its bytes in registers
  const seg = `${addr} + ${plen}`;
  s += `${i}$sp_e = -1;\n${i}$sp_j = 0;\n`;
  s += `${i}while ($sp_j < ${STAR_MAX / 8} && $sp_e < 0) {\n`;
  s += `${i}  $sp_w = *(uint64 *)uptr(${seg} + $sp_j * 8);\n`;
  s += `${i}  $sp_k = 0;\n`;
  s += `${i}  while ($sp_k < 8 && $sp_e < 0) {\n`;
  s += `${i}    $sp_c = ($sp_w >> ($sp_k * 8)) & 0xff;\n`;
  s += `${i}    if ($sp_c == 0x2f || $sp_c == 0) { $sp_e = $sp_j * 8 + $sp_k; }\n`;
  s += `${i}    $sp_k++;\n`;
  s += `${i}  }\n`;
  s += `${i}  $sp_j++;\n`;
  s += `${i}}\n`;
  // the segment is longer than its literal tail; then that tail, the rest and (exact) the end
  const mlen = Buffer.byteLength(p.mid, 'latin1');
  const rlen = Buffer.byteLength(p.rest, 'latin1');
  const conds = [`$sp_e > ${mlen}`];
  if (mlen > 0) conds.push(...literalAt(p.mid, `${seg} + $sp_e - ${mlen}`, false));
  if (rlen > 0) conds.push(...literalAt(p.rest, `${seg} + $sp_e`, false));
  if (!p.dir) conds.push(`*(uint8 *)uptr(${seg} + $sp_e + ${rlen}) == 0`);
  s += nested(conds, `${hit} = 1;`, i);
  for (let k = open.length - 1; k >= 0; k--) s += `${ind}${'  '.repeat(k)}}\n`;
  return s;
}
