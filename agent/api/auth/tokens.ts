// Standalone authentication: bearer tokens with roles, from the config and/or a token
// file that is re-read when it changes. Tokens are kept as SHA-256 digests and
// compared in constant time; the file may hold digests instead of tokens.
//
//   tokens:
//     - { name: alice, role: respond, token: "…" }
//     - { name: ci,    role: read,    sha256: "<hex digest of the token>" }
//
// A file holding one bare token (the old format) still works, as role `read`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ROLES, roleAllows, type Action, type AuthProvider, type Principal, type Role } from './types.ts';

export interface TokenEntry {
  name: string;
  role: Role;
  /** how the principal authenticated, for the audit trail (default token) */
  via?: Principal['via'];
  /** sha256 of the token */
  digest: Buffer;
}

export interface TokenSpec {
  name: string;
  role?: Role;
  via?: Principal['via'];
  token?: string;
  sha256?: string;
}

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export function entryOf(s: TokenSpec, where: string): TokenEntry {
  if (typeof s !== 'object' || s === null) throw new TokenFileError(`${where}: must be a mapping with name, role and token (or sha256)`);
  if (typeof s.name !== 'string' || s.name === '') throw new TokenFileError(`${where}.name: required`);
  const role = s.role ?? 'read';
  if (!ROLES.includes(role)) throw new TokenFileError(`${where}.role: must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  if (typeof s.token === 'string') {
    if (s.token.length < 8) throw new TokenFileError(`${where}.token: at least 8 characters`);
    return { name: s.name, role, digest: sha256(s.token), ...(s.via ? { via: s.via } : {}) };
  }
  if (typeof s.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(s.sha256)) return { name: s.name, role, digest: Buffer.from(s.sha256, 'hex') };
  throw new TokenFileError(`${where}: needs token (8+ characters) or sha256 (64 hex digits)`);
}

/** Parse a token file's text: the roles format, or one bare token. */
export function parseTokenFile(text: string, file: string): TokenEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new TokenFileError(`${file}: empty`);
  if (!/\s/.test(trimmed) && !trimmed.includes(':')) return [entryOf({ name: 'token-file', role: 'read', token: trimmed }, file)];
  let doc: unknown;
  try {
    doc = parseYaml(trimmed, { logLevel: 'error' });
  } catch (e) {
    throw new TokenFileError(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = (doc as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) throw new TokenFileError(`${file}: expected "tokens:" with a list of {name, role, token}`);
  const out = list.map((s, i) => entryOf(s as TokenSpec, `${file} tokens[${i}]`));
  const names = new Set<string>();
  for (const e of out) {
    if (names.has(e.name)) throw new TokenFileError(`${file}: token name ${e.name} appears twice`);
    names.add(e.name);
  }
  return out;
}

/** Tokens from config plus a file that is re-read (at most once a second) when it changes. */
export class TokenSet {
  private fileEntries: TokenEntry[] = [];
  private stamp = '';
  private checkedAt = 0;

  constructor(
    private inline: TokenEntry[],
    private file: string | undefined,
    private onReloadError: (msg: string) => void = () => {},
    private now: () => number = Date.now,
  ) {
    if (file !== undefined) this.reload(true);
  }

  /** throws at start (a bad file is a config error); later errors keep the last good tokens */
  private reload(first: boolean): void {
    const f = this.file!;
    try {
      const st = statSync(f);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (stamp === this.stamp) return;
      this.fileEntries = parseTokenFile(readFileSync(f, 'utf8'), f);
      this.stamp = stamp;
    } catch (e) {
      const msg = e instanceof TokenFileError ? e.message : `${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      if (first) throw new TokenFileError(msg);
      this.onReloadError(msg);
    }
  }

  get size(): number {
    this.refresh();
    return this.inline.length + this.fileEntries.length;
  }

  private refresh(): void {
    if (this.file === undefined) return;
    const t = this.now();
    if (t - this.checkedAt < 1000) return;
    this.checkedAt = t;
    this.reload(false);
  }

  find(token: string): TokenEntry | undefined {
    this.refresh();
    const d = sha256(token);
    let hit: TokenEntry | undefined;
    // every entry is compared, so the time taken says nothing about which one matched
    for (const e of this.inline) if (timingSafeEqual(e.digest, d)) hit ??= e;
    for (const e of this.fileEntries) if (timingSafeEqual(e.digest, d)) hit ??= e;
    return hit;
  }
}

/**
 * Standalone provider: a known token is its entry's role; no token is `anonymous`
 * (a role only when configured — by default read-only on a loopback API that has no
 * tokens at all).
 */
export class TokenAuth implements AuthProvider {
  constructor(
    private tokens: TokenSet,
    private anonymousRole: Role | undefined,
  ) {}

  authenticate(token: string | undefined): Principal | undefined {
    if (token === undefined) return this.anonymousRole ? { name: 'anonymous', via: 'anonymous', role: this.anonymousRole } : undefined;
    const e = this.tokens.find(token);
    return e ? { name: e.name, via: e.via ?? 'token', role: e.role } : undefined;
  }

  authorize(p: Principal, action: Action): boolean {
    return roleAllows(p.role, action);
  }

  describe(): string {
    return `tokens (${this.tokens.size})${this.anonymousRole ? `, anonymous: ${this.anonymousRole}` : ''}`;
  }
}

/** a fixed set of tokens (tests, the CLI's in-process server) */
export function staticTokenAuth(tokens: TokenSpec[], anonymous?: Role): TokenAuth {
  return new TokenAuth(new TokenSet(tokens.map((t, i) => entryOf(t, `tokens[${i}]`)), undefined), anonymous);
}
