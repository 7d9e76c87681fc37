// Generalisation: turn one observed value into the baseline item that stands for
// every value like it. Without this a baseline never stops growing: every pid in
// /proc/<pid>/, every mktemp name, every hash-named cache file is "new".
//
// Rules for a path segment (applied in order):
//   all digits                       → *        /proc/1234/stat      → /proc/*/stat
//   uuid, or hex ≥ 8 with a digit    → *        /cache/3f9a0c1d22/x  → /cache/*/x
//   random-looking temp names        → *        /tmp/tmp.Xa81kQz0pL  → /tmp/*
//   version numbers inside a name    → *        libssl.so.1.1        → libssl.so.*
//   dates/times inside a name        → *        app.2024-01-01.log   → app.*.log
//   digit runs of 4+ inside a name   → *        app-20240101.log     → app-*.log
//   uuids inside a name              → *        kubepods-pod<uid_with_underscores>.slice → kubepods-pod*.slice
//   a name that is a hash or token   → *        <40 hex>.json → *.json, <base64url> → *
//   a number between dots            → *        access.log.3 → access.log.*, app.log.2.gz → app.log.*.gz
// A directory whose distinct children exceed a threshold collapses (see baseline.ts).
//
// Hashes are recognised before anything looks inside them: a date or a number found
// inside a 40-hex name (…20191231…) used to be cut out first, which left the rest of the
// hash literal (`*afd*.json`), a new item for every file. A rotated file's number
// (`.1`, `.2.gz`) counts rotations and names nothing: learning `access.log.1..3` must
// cover `access.log.4`. The one number between dots that names something is a shared
// library's ABI version (`libc.so.6`): it stays.

export const WILDCARD = '*';

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const HAS_DIGIT = /\d/;
// mktemp-style: tmp.XXXXXXXXXX, tmpXXXXXXXX (python), XXXXXX suffixes after a dot or dash
const TEMP_PREFIXED = /^(?:tmp|temp|\.?tmp)[._-]?[A-Za-z0-9_]{6,}$/i;
// mktemp's default template: tmp. + 10 of [A-Za-z0-9]; random even without a digit when mixed-case
const MKTEMP = /^tmp\.[A-Za-z0-9]{10}$/;
const MIXED_CASE = /[A-Z][^A-Z]*[a-z]|[a-z][^a-z]*[A-Z]/;
// a uuid inside a longer name (pod uids in cgroup and log paths use _ as well as -)
const EMBEDDED_UUID = /[0-9a-f]{8}([-_]?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}/gi;
// a date, optionally with a time: 2024-01-01, 20240101, 2024-01-01T10-00-00, 20240101T101112Z, 2024_01_01_10:11:12.5
const DATE_TIME = /(?:19|20)\d\d([-_.]?)[01]\d\1[0-3]\d(?:[T_-]?[0-2]\d([-:.]?)[0-5]\d(?:\2[0-5]\d)?(?:\.\d+)?Z?)?/g;
const VERSION = /\d+(?:\.\d+)+[a-z]?/g;
const LONG_DIGITS = /\d{4,}/g;
const TOKEN_SPLIT = /[._-]/;
// a run of 16+ hex digits with a digit, between separators: a hash (checked before dates)
const LONG_HEX = /(?<![0-9A-Za-z])(?=[0-9a-fA-F]*\d)(?:[0-9a-f]{16,}|[0-9A-F]{16,})(?![0-9A-Za-z])/g;
// base64/base64url alphabet without the characters a file name cannot hold
const TOKEN_CHARS = /^[A-Za-z0-9_-]+$/;
const CAMEL_WORD = /[A-Z][a-z]{2,}/g;
// a number standing alone between dots (or after the last one), not a library's ABI version
const DOTTED_NUMBER = /(?<=\.)(?<!\.so\.)\d+(?=\.|$)/g;

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

/**
 * A name (the part before its first dot) that is a hash or a random token as a whole:
 * 16+ characters of the base64url alphabet that read as hex with a digit, or change
 * between upper case, lower case and digits at least every 2.5 characters (random base64
 * does at ~60%; words and versions rarely pass 40%) and is not mostly words. Split at -
 * and _ by the token rules, such a token would leave short random pieces literal (`q3-Fx_*`).
 */
function isHashName(stem: string): boolean {
  if (stem.length < 16 || !TOKEN_CHARS.test(stem)) return false;
  const bare = stem.replace(/[-_]/g, '');
  if (HEX.test(bare)) return HAS_DIGIT.test(bare);
  if (classChanges(bare) < 0.4 * (bare.length - 1)) return false;
  // CamelCase of real words (TheQuickBrownFox) changes case often too, but is made of
  // Capitalised words; random base64 rarely is
  let words = 0;
  for (const m of bare.matchAll(CAMEL_WORD)) words += m[0].length;
  return words < 0.6 * bare.length;
}

/** how often the character class (upper, lower, digit) changes along t */
function classChanges(t: string): number {
  const cls = (c: number): number => (c <= 57 ? 0 : c <= 90 ? 1 : 2);
  let n = 0;
  for (let i = 1; i < t.length; i++) if (cls(t.charCodeAt(i)) !== cls(t.charCodeAt(i - 1))) n++;
  return n;
}

export function generalizeSegment(seg: string): string {
  if (seg === '' || seg === WILDCARD) return seg;
  if (DIGITS.test(seg)) return WILDCARD;
  if (UUID.test(seg)) return WILDCARD;
  if (HEX.test(seg) && HAS_DIGIT.test(seg)) return WILDCARD;
  if (TEMP_PREFIXED.test(seg) && HAS_DIGIT.test(seg)) return WILDCARD;
  if (MKTEMP.test(seg) && MIXED_CASE.test(seg)) return WILDCARD;
  // ids that are unmistakable wherever they stand, first: long hex runs (before a uuid
  // or a date could match inside one and leave the rest of the hash), uuids, dates
  let s = HAS_DIGIT.test(seg) ? seg.replace(LONG_HEX, WILDCARD).replace(EMBEDDED_UUID, WILDCARD).replace(DATE_TIME, WILDCARD) : seg;
  // then a name that is a token as a whole (what is left of npm-…-cache or app-<date> is
  // a name with a varying part, which the token rules below cut out more precisely)
  const dot = s.indexOf('.');
  if (s.length >= 16 && dot !== 0 && isHashName(dot < 0 ? s : s.slice(0, dot))) {
    if (dot < 0) return WILDCARD;
    s = WILDCARD + s.slice(dot);
  }
  if (!HAS_DIGIT.test(s)) return s;
  // name with random tokens: replace the random tokens, keep the rest (npm-12ab9Xc-cache → npm-*-cache)
  const tokens = s.split(TOKEN_SPLIT);
  let out = s;
  if (tokens.length > 1) {
    if (tokens.some(isVaryingToken)) {
      out = '';
      let pos = 0;
      for (const t of tokens) {
        out += isVaryingToken(t) ? WILDCARD : t;
        pos += t.length;
        if (pos < s.length) out += s[pos];
        pos++;
      }
    }
  } else if (isRandomToken(s)) return WILDCARD;
  return collapseStars(out.replace(VERSION, WILDCARD).replace(LONG_DIGITS, WILDCARD).replace(DOTTED_NUMBER, WILDCARD));
}

/** a piece of a name that differs per run: random, a temp name, or a hex id */
function isVaryingToken(t: string): boolean {
  if (!HAS_DIGIT.test(t)) return false;
  return isRandomToken(t) || TEMP_PREFIXED.test(t) || HEX.test(t);
}

function collapseStars(s: string): string {
  // "*.*" style leftovers of one version number collapse to one wildcard; the whole
  // segment being wildcards is just a wildcard
  const t = s.replace(/\*(?:[._-]?\*)+/g, WILDCARD);
  return /^[*._-]+$/.test(t) ? WILDCARD : t;
}

/**
 * The generalised form of a path. Pure and unmemoised: the hot path goes through a
 * Generalizer (names.ts), which memoises this per Profiler.
 */
export function generalizePath(path: string): string {
  // special pseudo-paths stay as they are, minus their ids: memfd:x (deleted), socket:[123]
  if (!path.startsWith('/')) return generalizePseudoPath(path);
  const slash = plainFileSlash(path);
  if (slash > 0) {
    const leaf = generalizeSegment(path.slice(slash + 1));
    return generalizeFullPath(path.slice(0, slash)) + '/' + leaf;
  }
  return generalizeFullPath(path);
}

const PSEUDO = /^[A-Za-z_]+:/;

/**
 * A path that does not start with `/`. A pseudo-path (memfd:x (deleted), socket:[123],
 * anon_inode:[…]) keeps its text minus ids. Anything else is a file name relative to a
 * directory the source could not resolve (unlinkat/openat by a process gone before its
 * descriptor was read): its segments are names like any path's, generalised alike —
 * cutting every digit run out of a hash left it half-literal, a new item per file.
 */
export function generalizePseudoPath(path: string): string {
  if (!PSEUDO.test(path)) return generalizeFullPath('/' + path).slice(1);
  return path.replace(/\[\d+\]/g, '[*]').replace(/\d{3,}/g, WILDCARD);
}

/**
 * The slash before the file name of an ordinary absolute path (a directory and a leaf
 * that generalise apart), or -1 when the path needs the whole-path treatment.
 */
export function plainFileSlash(path: string): number {
  const slash = path.lastIndexOf('/');
  return slash > 0 && slash < path.length - 1 && !path.endsWith(' (deleted)') && !path.includes('//') ? slash : -1;
}

/**
 * A flat copy of a string, for keys kept in long-lived memos. A key built by
 * concatenation (or sliced from one) is a tree of pieces: every lookup that lands on it
 * walks the pieces to compare characters, about a quarter slower than a flat key.
 * A JSON round trip is the one portable way to get a flat copy (Number(s) flattens
 * only in place, behind the concatenation node). Costs ~0.3 µs: for inserts only.
 */
export function flatString(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** every segment of a path generalised; ` (deleted)` kept, repeated and trailing slashes dropped */
export function generalizeFullPath(path: string): string {
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
export function generalizeArg(arg: string, path: (p: string) => string = generalizePath): string {
  if (arg.length === 0) return arg;
  if (arg.length > 128) return generalizeArg(arg.slice(0, 128), path) + '…';
  if (arg.startsWith('/')) return path(arg);
  if (DIGITS.test(arg)) return WILDCARD;
  if (IPV4.test(arg)) return arg;
  const eq = arg.indexOf('=');
  if (arg.startsWith('-') && eq > 0) return arg.slice(0, eq + 1) + generalizeArg(arg.slice(eq + 1), path);
  return generalizeSegment(arg);
}

/** argv[1..16] generalised, space-separated; `path` generalises the absolute paths among them */
export function generalizeArgs(args: string[], path: (p: string) => string = generalizePath): string {
  // argv[0] is the program (already the item key); 16 args are plenty to recognise a command
  let out = '';
  const end = Math.min(args.length, 17);
  for (let i = 1; i < end; i++) out += (i > 1 ? ' ' : '') + generalizeArg(args[i], path);
  return out;
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
