// Builds the API's authentication and authorisation from config.
//
// Safe default (nothing configured, loopback only): anonymous callers may read, and
// only read; an admin token is generated once into <dataDir>/api-token (mode 0600),
// so whoever can read the agent's data directory — root, or the user running it —
// can also change baselines (the CLI finds the file by itself). Nobody else can lock,
// relearn or approve anything.
import { randomBytes } from 'node:crypto';
import { chmodSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../collector/log.ts';
import { TokenAuth, TokenSet, entryOf, type TokenSpec } from './tokens.ts';
import type { AuthProvider, Role } from './types.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from '../../config/load.ts';

export const LOCAL_TOKEN_FILE = 'api-token';
export const LOCAL_ADMIN = 'local-admin';

export interface AuthConfig {
  tokens: readonly TokenSpec[];
  tokenFile?: string;
  /** role of callers without a token; undefined = the default described above */
  anonymous?: Role | 'none';
  /** TokenReview + SubjectAccessReview against the Kubernetes API (kube.ts) */
  kubernetesAuth?: { kubeconfig?: string; context?: string; cacheTtlMs: number; audiences?: string[] };
}

/** true when the config names any way to authenticate */
export function authConfigured(c: AuthConfig): boolean {
  return c.tokens.length > 0 || c.tokenFile !== undefined || c.kubernetesAuth !== undefined;
}

/** the generated local admin token (created on first use, 0600) */
export function ensureLocalToken(dataDir: string): string {
  const file = join(dataDir, LOCAL_TOKEN_FILE);
  try {
    const fd = openSync(file, 'wx', 0o600);
    const token = randomBytes(32).toString('base64url');
    writeSync(fd, token + '\n');
    closeSync(fd);
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/**
 * The agent's own credentials for what the API asks Kubernetes (the reviews, the
 * NetworkPolicy export's selectors): api.kubernetesAuth.kubeconfig when given, else the
 * kubernetes: section's (a kubeconfig, or the pod's service account).
 */
export async function apiKubeConfig(config: AgentConfig): Promise<KubeConfig | undefined> {
  const ka = config.api.kubernetesAuth;
  if (!ka && !config.kubernetes.api) return undefined;
  const { loadKubeConfig } = await import('../../kube/client.ts');
  return loadKubeConfig(ka?.kubeconfig !== undefined ? { ...config.kubernetes, kubeconfig: ka.kubeconfig, ...(ka.context ? { context: ka.context } : {}) } : config.kubernetes);
}

export async function createAuth(c: AuthConfig, dataDir: string, log: Logger, kc?: KubeConfig): Promise<AuthProvider> {
  const inline = c.tokens.map((t, i) => entryOf(t, `api.tokens[${i}]`));
  const configured = authConfigured(c);
  if (!configured) inline.push(entryOf({ name: LOCAL_ADMIN, role: 'admin', token: ensureLocalToken(dataDir) }, LOCAL_TOKEN_FILE));
  const anonymous = c.anonymous === 'none' ? undefined : (c.anonymous ?? (configured ? undefined : 'read'));
  const set = new TokenSet(inline, c.tokenFile, (msg) => log.error('api token file reload failed; keeping the previous tokens', { err: msg }));
  const tokens = new TokenAuth(set, c.kubernetesAuth ? undefined : anonymous);
  if (!c.kubernetesAuth) return tokens;
  const { KubeAuth, clientReviews, DEFAULT_KUBE_AUTH } = await import('./kube.ts');
  const k = c.kubernetesAuth;
  if (!kc) throw new Error('api.kubernetesAuth: no Kubernetes API configuration');
  return new KubeAuth(await clientReviews(kc), { ...DEFAULT_KUBE_AUTH, cacheTtlMs: k.cacheTtlMs, ...(k.audiences ? { audiences: k.audiences } : {}) }, tokens);
}
