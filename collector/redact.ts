// Secret redaction for command lines and free text. Applied to every event as it
// leaves its source (before enrichment, storage, logs, alerts or export), so no
// later stage ever holds the secret. Redaction keeps the shape of the argument
// (`--password=<redacted>`) so responders still see what was run and baselines
// generalise over the value.

export const REDACTED = '<redacted>';

// option names whose value is a secret: --password=x, --db-password x, --api_key=x …
const SECRET_OPT =
  /^(--?(?:[a-z0-9]+[-_])*(?:password|passwd|pass|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|secret[-_]?key|private[-_]?key|client[-_]?secret|auth[-_]?token|credentials?|cred))(=)(.+)$/i;
const SECRET_OPT_BARE =
  /^--?(?:[a-z0-9]+[-_])*(?:password|passwd|pass|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|secret[-_]?key|private[-_]?key|client[-_]?secret|auth[-_]?token|credentials?)$/i;
// NAME=value environment-style assignments: AWS_SECRET_ACCESS_KEY=…, DB_PASSWORD=…, GITHUB_TOKEN=…
const SECRET_ENV =
  /\b([A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s&;]+)/gi;
// Authorization headers and bare bearer/basic credentials
const AUTH_HEADER = /\b(authorization|proxy-authorization|x-api-key|x-auth-token|api-key|cookie)(\s*[:=]\s*)(?:(bearer|basic|token|digest)\s+)?([^\s"',;]+)/gi;
const BEARER = /\b(bearer|basic)\s+([A-Za-z0-9\-._~+/]{8,}=*)/gi;
// scheme://user:password@host
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s/@]+)@/gi;
// query-string secrets: ?token=…&password=…
const QUERY_SECRET =
  /([?&;](?:access_token|token|password|passwd|pwd|secret|api_key|apikey|key|sig|signature|client_secret|auth)=)([^&\s#]+)/gi;
// JSON Web Tokens
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g;
// PEM private keys (complete or truncated)
const PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
// well-known token shapes: AWS access key ids, GitHub, Slack, Google API keys, Stripe
const KNOWN_TOKENS =
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}\b|\bxox[abposr]-[A-Za-z0-9-]{10,}\b|\bAIza[0-9A-Za-z_-]{35}\b|\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b|\bglpat-[A-Za-z0-9_-]{20,}\b/g;

// programs whose -pSECRET / -p SECRET is a password (elsewhere -p is a port or a flag)
const P_IS_PASSWORD = /(?:^|\/)(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb[a-z-]*|sshpass)$/;
// programs whose -a SECRET is a password
const A_IS_PASSWORD = /(?:^|\/)(?:redis-cli|keydb-cli|valkey-cli)$/;
// programs whose -u/--user value may be user:password
const USER_COLON_PASS = /(?:^|\/)(?:curl|wget|http|lftp)$/;

/** Redact secrets inside one free-form string. */
export function redactText(s: string): string {
  if (s.length < 6 || SAFE.has(s)) return s; // SAFE holds single words only
  let out = s;
  if (out.includes('PRIVATE KEY')) out = out.replace(PRIVATE_KEY, '<redacted-private-key>');
  if (out.includes('eyJ')) out = out.replace(JWT, '<redacted-jwt>');
  if (out.includes('@')) out = out.replace(URL_USERINFO, `$1:${REDACTED}@`);
  if (out.includes('=')) {
    out = out.replace(SECRET_ENV, `$1=${REDACTED}`);
    out = out.replace(QUERY_SECRET, `$1${REDACTED}`);
  }
  out = out.replace(AUTH_HEADER, (_m, name: string, sep: string, scheme: string | undefined) =>
    scheme ? `${name}${sep}${scheme} ${REDACTED}` : `${name}${sep}${REDACTED}`,
  );
  out = out.replace(BEARER, `$1 ${REDACTED}`);
  out = out.replace(KNOWN_TOKENS, REDACTED);
  // only single words are memoised: a sentence's safety depends on its words' context
  if (out === s && !s.includes(' ') && !s.includes('\n')) rememberSafe(s);
  return out;
}

// Fast pre-check: most arguments contain none of these and skip the regexes entirely.
const MAYBE_SECRET = /pass|pwd|secret|token|key|auth|cred|bearer|basic|eyj|@|-----|akia|asia|gh[pousr]_|github_pat|xox|aiza|sk_|rk_|glpat|cookie|sig/i;

/**
 * Redact an argv. Handles `--password=x`, `--password x`, `-pSECRET` for database
 * clients, `-u user:pass` for HTTP clients, and secrets inside any single argument.
 */
export function redactArgs(args: string[], exe = args[0] ?? ''): string[] {
  let out: string[] | undefined;
  // which program this is matters only for a few option shapes: decide lazily
  // (no closure here: this runs for every event, and closures cost an allocation each)
  let prog = -1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0) {
      const prev = args[i - 1];
      if (prev.charCodeAt(0) === 45 /* - */) {
        if (!PLAIN_OPTS.has(prev) && isBareSecretOpt(prev)) {
          out = replaceAt(args, out, i, REDACTED);
          continue;
        }
        // the program matters only after -p, -a, -u and --user: test the option first,
        // so ordinary options (--port 80) never run the program regexes
        if (prev === '-p' || prev === '-a') {
          const f = prog >= 0 ? prog : (prog = programFlags(exe, args[0] ?? ''));
          if (f & (prev === '-p' ? P : A)) {
            out = replaceAt(args, out, i, REDACTED);
            continue;
          }
        } else if ((prev === '-u' || prev === '--user') && a.includes(':') && (prog >= 0 ? prog : (prog = programFlags(exe, args[0] ?? ''))) & U) {
          out = replaceAt(args, out, i, a.replace(/:.*$/, `:${REDACTED}`));
          continue;
        }
      }
    }
    if (a.charCodeAt(0) === 45 /* - */) {
      if (a.length > 2 && a.startsWith('-p') && a[2] !== '-' && (prog >= 0 ? prog : (prog = programFlags(exe, args[0] ?? ''))) & P && !/^\d+$/.test(a.slice(2))) {
        out = replaceAt(args, out, i, `-p${REDACTED}`);
        continue;
      }
      if (a.startsWith('--user=') && a.includes(':') && (prog >= 0 ? prog : (prog = programFlags(exe, args[0] ?? ''))) & U) {
        out = replaceAt(args, out, i, a.replace(/:.*$/, `:${REDACTED}`));
        continue;
      }
    }
    // no context-free secret pattern fits in fewer than 8 characters (--pass=x)
    if (a.length < 8) continue;
    // known safe first: SAFE never holds a string with a space or newline (see below),
    // so this answers the common case (the program path) before scanning it twice
    if (SAFE.has(a)) continue;
    // an argument with spaces is often a whole command (sh -c "mysql -pX …"): redact its
    // words too. Never memoised: whether it is safe depends on the words' context.
    if (a.includes(' ') || a.includes('\n')) {
      out = replaceAt(args, out, i, redactCommand(a));
      continue;
    }
    if (!MAYBE_SECRET.test(a)) {
      rememberSafe(a);
      continue;
    }
    const m = SECRET_OPT.exec(a);
    if (m) {
      out = replaceAt(args, out, i, `${m[1]}=${REDACTED}`);
      continue;
    }
    out = replaceAt(args, out, i, redactText(a));
  }
  return out ?? args;
}

// option names seen not to be secret-taking (--port, -v…): skips the regex next time
let PLAIN_OPTS = new Set<string>();
function isBareSecretOpt(opt: string): boolean {
  if (SECRET_OPT_BARE.test(opt)) return true;
  if (opt.length <= 64) {
    if (PLAIN_OPTS.size >= 10_000) PLAIN_OPTS = new Set();
    PLAIN_OPTS.add(opt);
  }
  return false;
}

const P = 1; // -pSECRET / -p SECRET
const A = 2; // -a SECRET
const U = 4; // -u user:password
function programFlags(exe: string, argv0: string): number {
  let f = 0;
  if (P_IS_PASSWORD.test(exe) || P_IS_PASSWORD.test(argv0)) f |= P;
  if (A_IS_PASSWORD.test(exe) || A_IS_PASSWORD.test(argv0)) f |= A;
  if (USER_COLON_PASS.test(exe) || USER_COLON_PASS.test(argv0)) f |= U;
  return f;
}

// Arguments recur (the same command lines run all day): remember the ones that
// need no redaction on their own, so the regexes run once per distinct argument.
// Context-dependent cases (-p after mysql, the value after --password) are checked
// before this cache is consulted.
const SAFE_MAX = 100_000;
let SAFE = new Set<string>();
function rememberSafe(a: string): void {
  if (a.length > 256) return;
  if (SAFE.size >= SAFE_MAX) SAFE = new Set();
  SAFE.add(a);
}

function replaceAt(args: string[], out: string[] | undefined, i: number, v: string): string[] | undefined {
  if (v === args[i]) return out;
  const o = out ?? args.slice();
  o[i] = v;
  return o;
}

const COMMAND_SEP = /(\s*(?:;|&&|\|\||\||\n)\s*)/;
const LEAD = /^["'`({\[]+/;
const TRAIL = /["'`)}\],]+$/;

/**
 * Redact a shell command string: free-text patterns, then word by word per simple
 * command. Only the characters of a secret change: every other character (spacing,
 * quotes, brackets, commas) is kept as it was, so `print(f(a, b))` reads the same after
 * redaction as before. Each word is judged without the quotes and punctuation around it
 * (`"--password=x"` is an option), and its replacement goes back between them.
 */
export function redactCommand(cmd: string): string {
  const text = redactText(cmd);
  return text
    .split(COMMAND_SEP)
    .map((part, i) => (i % 2 === 1 ? part : redactSimpleCommand(part))) // odd parts are separators
    .join('');
}

function redactSimpleCommand(part: string): string {
  const starts: number[] = [];
  const ends: number[] = [];
  const words: string[] = [];
  for (const m of part.matchAll(/\S+/g)) {
    const w = m[0];
    const lead = LEAD.exec(w)?.[0].length ?? 0;
    const trail = lead < w.length ? (TRAIL.exec(w.slice(lead))?.[0].length ?? 0) : 0;
    starts.push(m.index + lead);
    ends.push(m.index + w.length - trail);
    words.push(w.slice(lead, w.length - trail));
  }
  if (words.length < 2) return part;
  // the program may not be the first word (env VAR=… mysql …, or JSON around a command)
  let k = words.findIndex((w) => P_IS_PASSWORD.test(w) || A_IS_PASSWORD.test(w) || USER_COLON_PASS.test(w));
  if (k < 0) k = 0;
  const head = k > 0 ? redactArgs(words.slice(0, k)) : [];
  const red = redactArgs(words.slice(k), words[k]);
  let out = '';
  let pos = 0;
  for (let j = 0; j < words.length; j++) {
    const r = j < k ? head[j] : red[j - k];
    if (r === words[j]) continue;
    out += part.slice(pos, starts[j]) + r;
    pos = ends[j];
  }
  return pos === 0 ? part : out + part.slice(pos);
}
