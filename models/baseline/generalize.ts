// Generalisation: turn one observed value into the baseline item that stands for
// every value like it. Without this a baseline never stops growing: every pid in
// /proc/<pid>/, every mktemp name, every hash-named cache file is "new".
//
// Rules for a path segment (applied in order):
//   all digits                       → *        /proc/1234/stat      → /proc/*/stat
//   uuid, or hex ≥ 8 with a digit    → *        /cache/3f9a0c1d22/x  → /cache/*/x
//   random-looking temp names        → *        /tmp/tmp.Xa81kQz0pL  → /tmp/*
//   version numbers inside a name    → *        libssl.so.1.1        → libssl.so.*
//   digit runs of 4+ inside a name   → *        app-20240101.log     → app-*.log
// A directory whose distinct children exceed a threshold collapses (see baseline.ts).

export const WILDCARD = '*';

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const HAS_DIGIT = /\d/;
// mktemp-style: tmp.XXXXXXXXXX, tmpXXXXXXXX (python), XXXXXX suffixes after a dot or dash
const TEMP_PREFIXED = /^(?:tmp|temp|\.?tmp)[._-]?[A-Za-z0-9_]{6,}$/i;
const VERSION = /\d+(?:\.\d+)+[a-z]?/g;
const LONG_DIGITS = /\d{4,}/g;
const TOKEN_SPLIT = /[._-]/;

/** Is this token (a piece of a name between . _ -) random-looking? */
function isRandomToken(t: string): boolean {
  if (t.length < 6) return false;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) digit++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else return false;
  }
  // mixed case plus digits (Xa81kQz0), or letters and digits interleaved richly (k3j9d8f7)
  const classes = (upper > 0 ? 1 : 0) + (lower > 0 ? 1 : 0) + (digit > 0 ? 1 : 0);
  if (classes === 3) return true;
  if (classes === 2 && digit >= 2 && (upper >= 2 || lower >= 2)) return transitions(t) >= 4;
  return false;
}

function transitions(t: string): number {
  let n = 0;
  let prevDigit = t.charCodeAt(0) <= 57;
  for (let i = 1; i < t.length; i++) {
    const d = t.charCodeAt(i) <= 57;
    if (d !== prevDigit) n++;
    prevDigit = d;
  }
  return n;
}

export function generalizeSegment(seg: string): string {
  if (seg === '' || seg === WILDCARD) return seg;
  if (DIGITS.test(seg)) return WILDCARD;
  if (UUID.test(seg)) return WILDCARD;
  if (HEX.test(seg) && HAS_DIGIT.test(seg)) return WILDCARD;
  if (TEMP_PREFIXED.test(seg) && HAS_DIGIT.test(seg)) return WILDCARD;
  if (!HAS_DIGIT.test(seg)) return seg;
  // name with random tokens: replace the random tokens, keep the rest (npm-12ab9Xc-cache → npm-*-cache)
  const tokens = seg.split(TOKEN_SPLIT);
  if (tokens.length > 1 && tokens.some(isRandomToken)) {
    let out = '';
    let pos = 0;
    for (const t of tokens) {
      out += isRandomToken(t) ? WILDCARD : t;
      pos += t.length;
      if (pos < seg.length) out += seg[pos];
      pos++;
    }
    return collapseStars(out);
  } else if (isRandomToken(seg)) return WILDCARD;
  return collapseStars(seg.replace(VERSION, WILDCARD).replace(LONG_DIGITS, WILDCARD));
}

function collapseStars(s: string): string {
  // "*.*" style leftovers of one version number collapse to one wildcard; the whole
  // segment being wildcards is just a wildcard
  const t = s.replace(/\*(?:[._-]?\*)+/g, WILDCARD);
  return /^[*._-]+$/.test(t) ? WILDCARD : t;
}

// Per-process memo: the same few thousand paths recur millions of times.
const PATH_CACHE_MAX = 65536;
let pathCache = new Map<string, string>();

export function generalizePath(path: string): string {
  const hit = pathCache.get(path);
  if (hit !== undefined) return hit;
  const out = generalizePathUncached(path);
  if (pathCache.size >= PATH_CACHE_MAX) pathCache = new Map();
  pathCache.set(path, out);
  return out;
}

function generalizePathUncached(path: string): string {
  // special pseudo-paths stay as they are, minus their ids: memfd:x (deleted), socket:[123]
  if (!path.startsWith('/')) {
    return path.replace(/\[\d+\]/g, '[*]').replace(/\d{3,}/g, WILDCARD);
  }
  const deleted = path.endsWith(' (deleted)');
  const p = deleted ? path.slice(0, -' (deleted)'.length) : path;
  const segs = p.split('/');
  for (let i = 1; i < segs.length; i++) segs[i] = generalizeSegment(segs[i]);
  let out = segs.join('/');
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  out = out.replace(/\/{2,}/g, '/');
  return deleted ? out + ' (deleted)' : out;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** One argv element, generalised for display and for the exec item's arg patterns. */
export function generalizeArg(arg: string): string {
  if (arg.length === 0) return arg;
  if (arg.length > 128) return generalizeArg(arg.slice(0, 128)) + '…';
  if (arg.startsWith('/')) return generalizePath(arg);
  if (DIGITS.test(arg)) return WILDCARD;
  if (IPV4.test(arg)) return arg;
  const eq = arg.indexOf('=');
  if (arg.startsWith('-') && eq > 0) return arg.slice(0, eq + 1) + generalizeArg(arg.slice(eq + 1));
  return generalizeSegment(arg);
}

export function generalizeArgs(args: string[]): string {
  // argv[0] is the program (already the item key); 16 args are plenty to recognise a command
  return args.slice(1, 17).map(generalizeArg).join(' ');
}

/** Normalise an IP for baselines: v4-mapped v6 → v4, wildcards → *, lower-case v6. */
export function normalizeAddr(addr: string): string {
  let a = addr.toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a.startsWith('::ffff:') && IPV4.test(a.slice(7))) a = a.slice(7);
  if (a === '0.0.0.0' || a === '::' || a === '' || a === '*') return WILDCARD;
  return a;
}

/** True for the Linux default ephemeral range; such local ports carry no meaning. */
export function isEphemeralPort(port: number, range: [number, number] = [32768, 60999]): boolean {
  return port >= range[0] && port <= range[1];
}
