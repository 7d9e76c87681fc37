// Does a value look like a secret (a generated password, key or token) rather than an
// ordinary argument (a path, port, name, number, host, version)? Used only where the
// context already hints at a secret (after -p, --key…, in user:PASS, a weak NAME=value),
// so that a generated secret is caught whatever program takes it, while `mkdir -p /x`,
// `ssh -p 2222`, `podman run -p 8080:80`, `sort --key=2` or `--token-file /run/x` stay.

/** values that are never secrets: booleans, placeholders, references */
const BENIGN = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'none', 'null', 'nil', 'empty', 'default', 'auto', 'required', 'optional', 'disabled', 'enabled', 'prompt', 'stdin', '-', '<redacted>']);

export function isBenignValue(v: string): boolean {
  // $VAR and ${VAR} are references, as are openssl's env:VAR, file:PATH, fd:N
  return v.length === 0 || BENIGN.has(v.toLowerCase()) || v.charCodeAt(0) === 36 || v.startsWith('<redacted') || /^(?:env|file|fd):/.test(v);
}

/** Shannon entropy in bits per character */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PATHLIKE = /^(?:[/~.@]|[A-Za-z]:\\)/;
const NUMBERISH = /^(?:[+-]?[\d.,:_%]+[a-z]{0,3}|0x[0-9a-f]+)$/i; // 8080, 8080:80, 1.5, 10ms, 50%, 0xDEADBEEF
const HOSTISH = /^(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?$/; // registry.example.com, db.internal:5432
const VERSIONISH = /^v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?$/;
const WORDY = /^[a-z]+(?:[-_.:][a-z]+)*(?:[-_.]?\d{1,4})?$/; // my-project, data_dir, release-2024
const VERSIONED = /^[a-z][a-z0-9-]*[-_@:]v?\d+(?:\.\d+)+(?:[-+.][0-9A-Za-z.-]+)?$/; // nginx:1.27, release-1.2.3
const SPEC = /^[a-z][a-z0-9-]*:[a-z0-9-]{1,16}$/; // rsa:2048, app:app, ec:prime256v1
const EMAIL = /^[^@\s]+@(?:[a-z0-9-]+\.)+[a-z]{2,}$/i;
const LOCALE = /^[a-z]{2}_[A-Z]{2}(?:\.[A-Za-z0-9-]+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A generated secret: long enough, mixed characters, high entropy, and not shaped like anything ordinary. */
export function looksSecret(raw: string): boolean {
  const v = raw.length > 1 && (raw[0] === '"' || raw[0] === "'") && raw[raw.length - 1] === raw[0] ? raw.slice(1, -1) : raw;
  if (v.length < 8 || v.length > 4096) return false;
  if (isBenignValue(v) || /\s/.test(v) || v.includes('://')) return false;
  if (PATHLIKE.test(v) || NUMBERISH.test(v) || HOSTISH.test(v) || VERSIONISH.test(v) || VERSIONED.test(v) || WORDY.test(v)) return false;
  if (EMAIL.test(v) || LOCALE.test(v) || SPEC.test(v)) return false;
  if (UUID.test(v)) return true; // AppRole secret ids, API keys
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  // a relative path (dir/file.ext, a/b/c): not a secret, unless it is long base64
  if (v.includes('/') && (/\.[A-Za-z]{1,5}$/.test(v) || v.length < 30 || !/^[A-Za-z0-9+/=_-]+$/.test(v))) return false;
  const classes = lower + upper + digit + other;
  const h = entropy(v);
  if (/^[0-9a-f]+$/i.test(v)) return v.length >= 16 && h >= 3; // hex keys and hashes of keys
  if (classes >= 3) return h >= 2.5;
  if (classes === 2) return (v.length >= 12 && h >= 3) || (v.length >= 10 && digit === 1 && lower + upper === 1 && h >= 2.8);
  return v.length >= 24 && h >= 3.5;
}
