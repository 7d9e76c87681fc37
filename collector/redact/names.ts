// Is a name (an option, an environment variable, a JSON/YAML key, a Java property, a
// query parameter) the name of a secret? STRONG: its value is a secret whatever it looks
// like (--password, DB_PASSWORD, "token", keyStorePassword). WEAK: its value may be a
// secret or a reference to one (--key, --token-file, ACCOUNT_KEY, --passin): redacted
// only when the value looks like a generated secret (shape.ts). Results are memoised.

export const NONE = 0;
export const WEAK = 1;
export const STRONG = 2;
export type NameKind = typeof NONE | typeof WEAK | typeof STRONG;

/** a secret whatever it looks like, as the last part of a name */
const STRONG_LAST = new Set([
  'password', 'passwords', 'passwd', 'passphrase', 'pass', 'pwd', 'pw', 'secret', 'secrets', 'token', 'tokens',
  'apikey', 'credential', 'credentials', 'creds', 'cred', 'bearer', 'cookie', 'cookies', 'privatekey', 'secretkey',
  'accesskey', 'sastoken', 'authtoken', 'passcode', 'auth',
]);
/** long words that name a secret even glued to a prefix: PGPASSWORD, keystorepassword, mytoken */
const STRONG_SUFFIX = /(?:password|passwd|passphrase|secret|token)s?$/;
/** `<x>key` / `<x> key` where x makes it a credential: api key, access key, account key … */
const KEY_OWNERS = new Set(['api', 'access', 'secret', 'private', 'priv', 'client', 'auth', 'signing', 'encryption', 'master', 'session', 'account', 'storage', 'shared', 'consumer', 'app', 'subscription', 'webhook', 'license', 'admin', 'root', 'service', 'sas']);
/** any part of a name that hints at a secret (the brief's --pass*, --secret*, --token*, --key*) */
const HINT = /^(?:pass|secret|token|auth|cred|pwd|pw|sig)/;
/** exact names that are not secrets although they look like one */
const NOT_SECRET = new Set(['pwd', 'oldpwd', 'passes', 'bypass', 'keyboard', 'keys', 'keyring', 'authors', 'author']);
/** exact names that are secrets although their parts do not say so */
const SECRET_NAMES = new Set(['sshpass', 'mysql_pwd', 'rediscli_auth', 'pgpass', 'htpasswd', 'storepass', 'keypass', 'srcstorepass', 'deststorepass', 'srckeypass', 'destkeypass', 'passin', 'passout', 'kfile']);
/** boolean switches: `--no-password`, `--ask-pass`, `--password-stdin` take no value */
const SWITCH = /^(?:no|ask|prompt|use|skip|require|without|with|enable|disable|allow|show|print|generate|reset|change|rotate|verify|check|read|store|save|clear|remove|delete|list|get)[-_]|[-_](?:stdin|prompt|file|path|dir|env|ttl|type|name|id|length|policy|format|mode|source|ref|url|uri|command|cmd|helper|method|provider|store|enabled|disabled|required|expiry|expires|lifetime)$/;

/** name parts: leading dashes dropped, split at - _ . / : and camelCase, lower-cased */
export function nameParts(name: string): string[] {
  return name
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[-_.\s/:]+/)
    .filter(Boolean);
}

function classify(name: string): NameKind {
  const bare = name.replace(/^-+/, '').toLowerCase();
  if (bare === '' || NOT_SECRET.has(bare)) return NONE;
  if (SECRET_NAMES.has(bare)) return STRONG;
  const parts = nameParts(name);
  if (parts.length === 0) return NONE;
  const last = parts[parts.length - 1];
  const switchLike = SWITCH.test(bare);
  if (!switchLike) {
    if (STRONG_LAST.has(last) || STRONG_SUFFIX.test(last)) return last === 'auth' ? WEAK : STRONG;
    if (last === 'key' && parts.length > 1 && KEY_OWNERS.has(parts[parts.length - 2])) return STRONG;
    if (last.endsWith('key') && KEY_OWNERS.has(last.slice(0, -3))) return STRONG;
  }
  for (const p of parts) if (HINT.test(p) || STRONG_SUFFIX.test(p) || p.endsWith('key')) return WEAK; // not `keys`: key ids, not keys
  return NONE;
}

const memo = new Map<string, NameKind>();

/** how secret a name's value is (memoised: names recur) */
export function nameKind(name: string): NameKind {
  let k = memo.get(name);
  if (k === undefined) {
    k = classify(name);
    if (name.length <= 128) {
      if (memo.size >= 10_000) memo.clear();
      memo.set(name, k);
    }
  }
  return k;
}
