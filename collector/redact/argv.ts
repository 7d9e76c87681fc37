// Redaction of an argv: options whose value is a secret (by name, by program, by
// shape), positional secrets of known programs, and whatever redactText finds in any
// single argument. The shape of every argument is kept (`--password=<redacted>`,
// `-p<redacted>`, `admin:<redacted>`) and the argv keeps its length.
//
// This runs on every event. The common argv (a program, a few ordinary options, words
// seen before) costs a few map lookups: the program is resolved lazily and memoised by
// executable, option names by name, and arguments safe on their own by value.
import { looksSecret, isBenignValue } from './shape.ts';
import { nameKind, NONE, STRONG } from './names.ts';
import { applies, entryOf, programIndex, PROGRAMS, runnerKind, Short, type Program } from './programs.ts';
import { MAYBE_SECRET, REDACTED, redactText } from './text.ts';
import { redactCommand } from './command.ts';

/** option names whose value is user[:password] (any program) */
const USER_OPTS = new Set(['--user', '--proxy-user', '--auth', '--creds', '--cred', '--credentials', '--basic', '--userpass', '--login']);
/** long options some program in the table gives a secret value */
const LONG_OPTS = new Set([...PROGRAMS.values()].flatMap((p) => Object.keys(p.long ?? {})));
const CONFIG_VERBS = new Set(['set', 'config', 'configure', 'config:set', 'set-credentials', 'setenv']);
const USER_NAME = /^[A-Za-z0-9_.@\\/-]+$/;

/** `user:password` → `user:<redacted>` when the password part deserves it */
function userPass(v: string, known: boolean, sep = /[:%]/): string | undefined {
  if (v.includes('://')) return undefined; // a URL: redactText judges its userinfo
  const m = sep.exec(v);
  if (!m || m.index === 0) return undefined;
  const user = v.slice(0, m.index);
  if (!USER_NAME.test(user)) return undefined; // not a user name (date -u +%H:%M)
  const pass = v.slice(m.index + 1);
  if (pass === '' || isBenignValue(pass) || pass.startsWith('<redacted') || /^\d+$/.test(pass) || pass === user) return undefined;
  // a known credential client, a generated secret, or anything password-like (not a bare group name)
  if (!known && !looksSecret(pass) && !(pass.length >= 8 || /\d/.test(pass) || /[^A-Za-z0-9_.-]/.test(pass))) return undefined;
  return `${user}${m[0]}${REDACTED}`;
}

/**
 * A secret value as a whole: its well-known prefix kept when redactText recognises the
 * whole value (pass:<redacted>, ghp_<redacted>, <redacted-jwt>), else just <redacted>.
 */
function whole(a: string): string {
  const t = redactText(a);
  return t !== a && /^[A-Za-z0-9_.:-]{0,20}<redacted[^>]*>$/.test(t) ? t : REDACTED;
}

// --- which program is this? -------------------------------------------------------

/** program table entry by executable path: null none, a runner (sudo, sh, python…: see the argv) */
const RUNNER = 'wrapper';
const INTERPRETER = 'interpreter';
type ExeKind = Program | null | typeof RUNNER | typeof INTERPRETER;
const BY_EXE = new Map<string, ExeKind>();

function byExe(exe: string): ExeKind {
  let m = BY_EXE.get(exe);
  if (m === undefined) {
    m = runnerKind(exe) ?? entryOf(exe) ?? null;
    if (BY_EXE.size >= 10_000) BY_EXE.clear();
    BY_EXE.set(exe, m);
  }
  return m;
}

/** The argv's program (the table entry that applies) and the index of its word. */
class Resolved {
  private done = false;
  private p: Program | undefined;
  private at = 0;

  constructor(
    private readonly args: string[],
    private readonly exe: string,
  ) {}

  get program(): Program | undefined {
    if (!this.done) this.resolve();
    return this.p;
  }

  /** index in args of the program's own word */
  get start(): number {
    if (!this.done) this.resolve();
    return this.at;
  }

  private resolve(): void {
    this.done = true;
    const { args, exe } = this;
    let entry: Program | undefined;
    let m = exe === '' ? RUNNER : byExe(exe);
    // argv[0] may name it where the executable does not (a renamed or multi-call binary,
    // or an executable that is not the argv's program at all)
    if (m === null && args.length > 0 && args[0] !== exe) m = byExe(args[0]);
    if (m === RUNNER || m === INTERPRETER) {
      this.at = programIndex(args);
      entry = entryOf(args[this.at] ?? '');
    } else entry = m ?? undefined;
    this.p = entry !== undefined && applies(entry, args) ? entry : undefined;
  }
}

/** does this argv set configuration (`aws configure set NAME VALUE`)? */
const setsConfig = (args: string[]): boolean => args.some((w) => CONFIG_VERBS.has(w));
/** a cheap first look: could this word name a secret? (nameKind decides) */
const SECRETISH = /pass|pw|secret|token|key|cred|auth|bearer|cookie|sas/i;

/** false when no table entry with positional secrets can apply (the memo answers, no allocation) */
function mayHavePositionals(args: string[], exe: string): boolean {
  // look up argv[0] when it is the executable: its hash is already computed (the SAFE
  // lookup), the executable's string is another object whose hash is not
  const same = args.length > 0 && args[0] === exe;
  let m = exe === '' ? RUNNER : byExe(same ? args[0] : exe);
  if (m === null) {
    if (args.length === 0 || same) return false;
    m = byExe(args[0]);
  }
  if (m === null) return false;
  if (m === RUNNER) return true;
  // an interpreter runs a script or module named next (python3 /usr/bin/http, -m azure.cli),
  // else it is itself the program (sh -c, python3 --version)
  if (m === INTERPRETER) return args.length > 1 && (args[1] === '-m' || args[1].charCodeAt(0) !== 45);
  return m.positional !== undefined;
}

// --- options ----------------------------------------------------------------------

/** the value `a` given to option `opt` (a separate argument): its redacted form, if secret */
function optionValue(opt: string, a: string, r: Resolved): string | undefined {
  if (opt.length === 2) {
    // single-letter: what it means depends on the program
    const letter = opt[1];
    const meaning = r.program?.short[letter];
    if (meaning === Short.Secret) return whole(a);
    if (meaning === Short.UserPass) return userPass(a, true, /[:%,]/);
    if (meaning === Short.Cookie) return a.includes('=') ? a.replace(/=([^;\s]+)/g, `=${REDACTED}`) : undefined;
    if (letter === 'u' || letter === 'U') return userPass(a, false);
    if (letter === 'p' || letter === 'a' || letter === 'P' || letter === 'k' || letter === 'w') return looksSecret(a) ? whole(a) : undefined;
    return undefined;
  }
  if (LONG_OPTS.has(opt) && r.program?.long?.[opt] === Short.Secret) return whole(a);
  if (USER_OPTS.has(opt)) return userPass(a, r.program?.short.u === Short.UserPass);
  const kind = nameKind(opt);
  if (kind === NONE || isBenignValue(a)) return undefined;
  if (kind === STRONG || looksSecret(a)) return whole(a);
  // --auth-cred user:pass and the like
  return a.includes(':') ? userPass(a, false) : undefined;
}

/** an option carrying its own value (--name=value, -pVALUE): its redacted form, if secret */
function optionWithValue(a: string, r: Resolved): string | undefined {
  const eq = a.indexOf('=');
  if (eq > 1) {
    const name = a.slice(0, eq);
    const value = a.slice(eq + 1);
    if (value === '' || value.startsWith('<redacted') || name === '--from-literal') return undefined; // redactText: KEY=VALUE inside
    if (USER_OPTS.has(name)) {
      const up = userPass(value, r.program?.short.u === Short.UserPass);
      return up === undefined ? undefined : `${name}=${up}`;
    }
    const kind = nameKind(name);
    if (kind === NONE || isBenignValue(value)) return undefined;
    if (kind === STRONG || looksSecret(value)) return `${name}=${whole(value)}`;
    const up = value.includes(':') ? userPass(value, false) : undefined;
    return up === undefined ? undefined : `${name}=${up}`;
  }
  // glued single-letter: -pSECRET, -uuser:pass (not --long, not -p alone, not openssl -keyout)
  if (a.charCodeAt(1) === 45) return undefined;
  const letter = a[1];
  const value = a.slice(2);
  const p = r.program;
  if (p?.glued === false || value.startsWith('<redacted')) return undefined;
  const meaning = p?.short[letter];
  if (meaning === Short.Secret) return `-${letter}${whole(value)}`;
  if (meaning === Short.UserPass || letter === 'u' || letter === 'U') {
    const up = userPass(value, meaning === Short.UserPass);
    return up === undefined ? undefined : `-${letter}${up}`;
  }
  if ((letter === 'p' || letter === 'P') && looksSecret(value)) return `-${letter}${whole(value)}`;
  return undefined;
}

/** might option `opt` (before a separate value) make that value a secret? (memoised, no program lookup) */
const MATTERS = new Map<string, boolean>();
function optionMatters(opt: string): boolean {
  if (opt.length === 2) return true;
  let m = MATTERS.get(opt);
  if (m === undefined) {
    m = USER_OPTS.has(opt) || LONG_OPTS.has(opt) || nameKind(opt) !== NONE;
    if (opt.length <= 128) {
      if (MATTERS.size >= 10_000) MATTERS.clear();
      MATTERS.set(opt, m);
    }
  }
  return m;
}

/**
 * Redact an argv (argv[0] first). Returns the same array when nothing changed, so the
 * common case costs no allocation. `exe` is the executable, when known.
 */
export function redactArgs(args: string[], exe = args[0] ?? ''): string[] {
  let out: string[] | undefined;
  // the program is looked up only when an option or the positional rules need it
  let r: Resolved | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let v: string | undefined;
    if (i > 0 && a.length > 0 && !a.startsWith('<redacted')) {
      const prev = args[i - 1];
      if (prev.charCodeAt(0) === 45 /* - */) {
        if (prev.length > 1 && a.charCodeAt(0) !== 45 && optionMatters(prev)) v = optionValue(prev, a, (r ??= new Resolved(args, exe)));
      } else if (i > 1 && SECRETISH.test(prev) && nameKind(prev) === STRONG && setsConfig(args) && !isBenignValue(a)) {
        // `aws configure set aws_secret_access_key VALUE`, `git config user.password VALUE`
        v = whole(a);
      }
      // --name=value, or -xVALUE glued (a plain --long option needs no look)
      if (v === undefined && a.charCodeAt(0) === 45 && a.length > 2 && (a.charCodeAt(1) !== 45 || a.indexOf('=') > 2)) v = optionWithValue(a, (r ??= new Resolved(args, exe)));
    }
    if (v === undefined) v = redactWord(a);
    if (v !== a) (out ??= args.slice())[i] = v;
  }
  // positional secrets of known programs (htpasswd -b f user PASS, vault login TOKEN …);
  // the common argv (an executable with no table entry, argv[0] the same) decides without a lookup
  if (r === undefined && !mayHavePositionals(args, exe)) return out ?? args;
  const p = (r ??= new Resolved(args, exe)).program;
  if (p?.positional) {
    const start = r.start;
    for (const k of p.positional(args.slice(start + 1))) {
      const i = start + 1 + k;
      if (!args[i].startsWith('<redacted') && !(out?.[i] ?? '').startsWith('<redacted')) (out ??= args.slice())[i] = whole(args[i]);
    }
  }
  return out ?? args;
}

// Arguments recur (the same command lines run all day): remember the ones that need no
// redaction on their own, so the regexes run once per distinct argument. What depends on
// context (the option before, the program) is decided before this cache is consulted.
const SAFE_MAX = 100_000;
let SAFE = new Set<string>();

/** one argument on its own: a command string is redacted as commands, a word as text */
function redactWord(a: string): string {
  // no context-free secret form fits in fewer than 7 characters (`a:b@h.x`, `pw=abc`):
  // short words (ports, flags) skip even the cache lookup
  if (a.length < 7 || SAFE.has(a)) return a;
  const sentence = a.includes(' ') || a.includes('\n') || a.includes('\t');
  if (!sentence && !MAYBE_SECRET.test(a)) {
    rememberSafe(a);
    return a;
  }
  const r = sentence ? redactCommand(a) : redactText(a);
  if (r === a) rememberSafe(a);
  return r;
}

function rememberSafe(a: string): void {
  if (a.length > 256) return;
  if (SAFE.size >= SAFE_MAX) SAFE = new Set();
  SAFE.add(a);
}
