// Secrets recognisable in any text, without knowing which program it belongs to:
// well-known token shapes, private keys, JWTs, credentials in URLs, secret-named
// assignments (NAME=value, "name": "value"), authorization headers. The shape around a
// secret is kept (`DB_PASSWORD=<redacted>`, `ghp_<redacted>`, `https://u:<redacted>@h`)
// so a responder still sees what was done.
import { looksSecret, isBenignValue } from './shape.ts';
import { nameKind, NONE, STRONG, WEAK } from './names.ts';

export const REDACTED = '<redacted>';

// [prefix kept, body] of well-known token formats (the prefix says what leaked)
const TOKEN_SHAPES: [string, string][] = [
  ['AKIA|ASIA|ABIA|ACCA', '[0-9A-Z]{16}(?![0-9A-Za-z])'], // AWS access key ids
  ['gh[pousr]_', '[A-Za-z0-9]{30,255}'], // GitHub
  ['github_pat_', '[A-Za-z0-9_]{22,255}'],
  ['gl(?:pat|dt|rt|ptt|cbt|imt|soat|ffct|oas|agent)-', '[A-Za-z0-9_-]{20,}'], // GitLab
  ['GR1348941', '[A-Za-z0-9_-]{20,}'],
  ['xox[abposrec]-', '[A-Za-z0-9-]{10,}'], // Slack
  ['xapp-', '\\d-[A-Za-z0-9-]{10,}'],
  ['(?:sk|rk|pk)_(?:live|test)_', '[A-Za-z0-9]{10,}'], // Stripe
  ['whsec_', '[A-Za-z0-9+/=]{20,}'],
  ['AIza', '[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])'], // Google API key
  ['ya29\\.', '[0-9A-Za-z_-]{20,}'], // Google OAuth access token
  ['GOCSPX-', '[A-Za-z0-9_-]{20,}'],
  ['hv[sbr]\\.', '[A-Za-z0-9_-]{20,}'], // Vault
  ['npm_', '[A-Za-z0-9]{36}'],
  ['pypi-', 'AgE[A-Za-z0-9_-]{40,}'],
  ['dckr_pat_', '[A-Za-z0-9_-]{20,}'],
  ['sk-(?:proj-|ant-(?:api\\d\\d-)?|svcacct-)?', '[A-Za-z0-9_-]{20,}'], // OpenAI, Anthropic
  ['SG\\.', '[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}'], // SendGrid
  ['do[por]_v1_', '[a-f0-9]{64}'], // DigitalOcean
  ['shp(?:at|ss|ca|pa)_', '[a-fA-F0-9]{32}'], // Shopify
  ['dapi', '[0-9a-f]{32}(?![0-9a-f])'], // Databricks
  ['ATATT3', '[A-Za-z0-9_=-]{50,}'], // Atlassian
  ['glsa_', '[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}'], // Grafana
  ['glc_', '[A-Za-z0-9+/=]{32,}'],
  ['AGE-SECRET-KEY-1', '[0-9A-Z]{58}'],
  ['hf_', '[A-Za-z]{34,}'], // Hugging Face
  ['lin_api_', '[A-Za-z0-9]{40}'],
  ['NRAK-', '[A-Z0-9]{27}'],
  ['SK', '[0-9a-f]{32}(?![0-9a-f])'], // Twilio
  ['key-', '[0-9a-f]{32}(?![0-9a-f])'], // Mailgun
];
const TOKENS = new RegExp(`(?<![A-Za-z0-9_])(?:${TOKEN_SHAPES.map(([p, b]) => `(${p})${b}`).join('|')})`, 'g');
// Terraform Cloud / Azure AD client secrets have no leading prefix: whole value
const BARE_TOKENS = /(?<![A-Za-z0-9])(?:[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}|[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9])/g;
// PEM private keys (complete, or cut off), also with escaped newlines
const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g;
// JSON Web Tokens (and JWE): header.payload.signature, base64url
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
// scheme://user:password@host (the password may hold an unescaped @: up to the last one)
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@?#"']*):([^\s/?#"']+)@(?=[^\s@/?#"']*(?:[/?#\s"']|$))/gi;
// scheme://token@host: a user name that is a generated secret (https://ghp_…@github.com)
const URL_TOKEN_USER = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@?#"']{8,})@/gi;
// user:password@host without a scheme (a DNS value, impacket's domain/user:pass@host)
const BARE_USERINFO = /(?<![A-Za-z0-9_.%+/:-])([A-Za-z0-9_.%+\\-]+(?:\/[A-Za-z0-9_.%+\\-]+)?):([^\s:/@"']+)@(?=[A-Za-z0-9[])/g;
// Slack/Discord/Teams webhook URLs carry their secret in the path
const WEBHOOK_URL = /\b(hooks\.slack\.com\/(?:services|workflows)\/|discord(?:app)?\.com\/api\/webhooks\/\d+\/|webhook\.office\.com\/webhookb2\/)[A-Za-z0-9/_@-]+/gi;
// NAME=value (environment, options, properties, query strings, conninfo, mount options)
const ASSIGN = /(?<![A-Za-z0-9_.-])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&;'"]*?(?=,[A-Za-z_][A-Za-z0-9_.-]*=|[\s&;'"]|$))/g;
// "name": "value", name: value (JSON, YAML, headers of the form Secret: value)
const KEY_COLON = /(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1([ \t]*:[ \t]*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;}'"]+)/g;
// Authorization-style headers: the credential after an optional scheme
const AUTH_HEADER = /\b(authorization|proxy-authorization|x-api-key|x-auth-token|api-key|apikey|private-token|x-vault-token|x-amz-security-token|x-goog-api-key|x-access-token|(?:set-)?cookie)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest|negotiate|ntlm|sharedkey|apikey|key)\s+)?([^\s"',;]+(?:;\s*[^\s"',;]+=[^\s"',;]+)*)/gi;
const SCHEME = /^(?:bearer|basic|token|digest|negotiate|ntlm)$/i;
// bare Bearer/Basic credentials (a Basic value is base64 of user:pass)
const BEARER = /\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi;
// openssl's pass:SECRET (and -passin/-passout/-pass); env:VAR and file:PATH are references
const OPENSSL_PASS = /(?<![A-Za-z0-9])pass:([^\s"']+)/g;

// A fast pre-check: text containing none of these needs no regex at all.
export const MAYBE_SECRET =
  /pass|pwd|pw=|secret|token|key|auth|cred|bearer|basic|cookie|sig|eyj|@|-----|akia|asia|abia|acca|gh[pousr]_|github_pat|gl[a-z]+-|gr1348941|xox|xapp|_live_|_test_|whsec|aiza|ya29|gocspx|hv[sbr]\.|npm_|pypi-|dckr_|sk-|sg\.|_v1_|shp|dapi|atatt|glsa|glc_|age-secret|hf_|lin_api|nrak|sk[0-9a-f]|atlasv1|q~|hooks\.|webhook|from-literal/i;

function isBasicCredential(v: string): boolean {
  try {
    return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(Buffer.from(v, 'base64').toString('latin1'));
  } catch {
    return false;
  }
}

/** strip one pair of quotes */
function unquoted(v: string): string {
  return v.length > 1 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}

/** the value of a secret-named assignment, redacted when its name and shape say so */
function redactAssigned(name: string, value: string): string | undefined {
  const kind = nameKind(name);
  if (kind === NONE) return undefined;
  const v = unquoted(value);
  if (isBenignValue(v)) return undefined;
  if (kind === WEAK && !looksSecret(v) && !looksSecret(v.slice(v.indexOf(':') + 1))) return undefined;
  const q = value !== v ? value[0] : '';
  return `${q}${REDACTED}${q}`;
}

/** Redact the secrets inside one string of any kind (argument, command line, DNS name, log text). */
export function redactText(s: string): string {
  if (s.length < 5 || !MAYBE_SECRET.test(s)) return s;
  let out = s;
  if (out.includes('PRIVATE KEY')) out = out.replace(PRIVATE_KEY, '<redacted-private-key>');
  if (out.includes('eyJ')) out = out.replace(JWT, '<redacted-jwt>');
  out = out.replace(TOKENS, (m: string, ...g: unknown[]) => {
    for (let i = 0; i < TOKEN_SHAPES.length; i++) if (typeof g[i] === 'string') return `${g[i] as string}${REDACTED}`;
    return REDACTED;
  });
  out = out.replace(BARE_TOKENS, REDACTED);
  if (out.includes('@')) {
    out = out.replace(URL_PASSWORD, `$1:${REDACTED}@`);
    out = out.replace(URL_TOKEN_USER, (m: string, scheme: string, user: string) => (!user.includes('<redacted') && looksSecret(user) ? `${scheme}${REDACTED}@` : m));
    out = out.replace(BARE_USERINFO, (m: string, user: string, pass: string) => (pass.includes('<redacted') || /^\d+$/.test(pass) ? m : `${user}:${REDACTED}@`));
  }
  if (/hooks\.|webhook/i.test(out)) out = out.replace(WEBHOOK_URL, `$1${REDACTED}`);
  if (out.includes('pass:')) out = out.replace(OPENSSL_PASS, `pass:${REDACTED}`);
  out = out.replace(AUTH_HEADER, (m: string, name: string, sep: string, scheme: string | undefined, value: string) =>
    value.includes('<redacted') || (!scheme && SCHEME.test(value)) ? m : scheme ? `${name}${sep}${scheme} ${REDACTED}` : `${name}${sep}${REDACTED}`,
  );
  out = out.replace(BEARER, (m: string, scheme: string, sp: string, value: string) =>
    value.startsWith('<redacted') || !(scheme.toLowerCase() === 'basic' ? isBasicCredential(value) : looksSecret(value)) ? m : `${scheme}${sp}${REDACTED}`,
  );
  if (out.includes('=')) {
    out = out.replace(ASSIGN, (m: string, name: string, value: string) => {
      // kubectl --from-literal=KEY=VALUE: the value of a Secret, whatever its key
      if (name === '--from-literal' || name === 'from-literal') {
        const eq = value.indexOf('=');
        return eq > 0 && !value.slice(eq + 1).startsWith('<redacted') ? `${name}=${value.slice(0, eq + 1)}${REDACTED}` : m;
      }
      const r = redactAssigned(name, value);
      return r === undefined ? m : `${name}=${r}`;
    });
  }
  if (out.includes(':')) {
    out = out.replace(KEY_COLON, (m: string, q: string, name: string, sep: string, value: string) => {
      if (nameKind(name) !== STRONG) return m;
      const r = redactAssigned(name, value);
      return r === undefined ? m : `${q}${name}${q}${sep}${r}`;
    });
  }
  return out;
}
