// In a cluster: bearer tokens are checked with a TokenReview and every action with a
// SubjectAccessReview against the Kubernetes API, as kube-rbac-proxy and aggregated
// API servers do, so access to habitwatch is ordinary RBAC on `workloadbaselines`:
//
//   get / list      read baselines, alerts, the audit trail, the stream
//   create workloadbaselines/approvals   approve items or alerts, triage alerts
//   patch           lock/unlock, forbid
//   update          relearn, remove items, unforbid, import
//   get on the non-resource URL /metrics (when metrics are not open)
//
// Both answers are cached briefly (positive and negative), bounded in size, so a busy
// responder does not cost one API round trip per request. Statically configured tokens
// (api.tokens, tokenFile) are checked first and keep their roles.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { HttpError } from '../errors.ts';
import type { TokenAuth } from './tokens.ts';
import type { Action, AuthProvider, Principal, Scope } from './types.ts';

export interface KubeAuthConfig {
  /** API group and resource whose RBAC decides (the WorkloadBaseline CRD) */
  group: string;
  resource: string;
  /** how long a TokenReview or SubjectAccessReview answer is reused */
  cacheTtlMs: number;
  /** audiences to ask TokenReview for (default: the API server's) */
  audiences?: string[];
}

export const DEFAULT_KUBE_AUTH: KubeAuthConfig = { group: 'habitwatch.io', resource: 'workloadbaselines', cacheTtlMs: 10_000 };

/** the Kubernetes verb (and subresource) each action needs */
export const KUBE_VERBS: Record<Action, { verb: string; subresource?: string }> = {
  get: { verb: 'get' },
  list: { verb: 'list' },
  approve: { verb: 'create', subresource: 'approvals' },
  patch: { verb: 'patch' },
  update: { verb: 'update' },
};

export interface AccessSpec {
  user: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: { namespace?: string; verb: string; group: string; resource: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path: string; verb: string };
}

/** the two reviews, as the Kubernetes API answers them */
export interface KubeReviews {
  tokenReview(token: string, audiences?: string[]): Promise<{ authenticated: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } }>;
  accessReview(spec: AccessSpec): Promise<boolean>;
}

/** the reviews through @kubernetes/client-node with the agent's own credentials */
export async function clientReviews(kc: KubeConfig): Promise<KubeReviews> {
  const { AuthenticationV1Api, AuthorizationV1Api } = await import('@kubernetes/client-node');
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async tokenReview(token, audiences) {
      const r = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } } });
      return { authenticated: r.status?.authenticated === true, user: r.status?.user };
    },
    async accessReview(spec) {
      const r = await authz.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
      return r.status?.allowed === true && r.status.denied !== true;
    },
  };
}

/** a small TTL cache, bounded (oldest first out) */
class TtlCache<V> {
  private m = new Map<string, { v: V; until: number }>();
  constructor(
    private ttl: number,
    private now: () => number,
    private max = 4096,
  ) {}
  get(k: string): V | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.m.delete(k);
      return undefined;
    }
    return e.v;
  }
  set(k: string, v: V): void {
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value!);
    this.m.set(k, { v, until: this.now() + this.ttl });
  }
}

export class KubeAuth implements AuthProvider {
  private tokens: TtlCache<Principal | null>;
  private access: TtlCache<boolean>;
  private inflight = new Map<string, Promise<unknown>>();

  constructor(
    private reviews: KubeReviews,
    private cfg: KubeAuthConfig,
    private staticTokens?: TokenAuth,
    now: () => number = Date.now,
  ) {
    this.tokens = new TtlCache(cfg.cacheTtlMs, now);
    this.access = new TtlCache(cfg.cacheTtlMs, now);
  }

  /** one review in flight per key: a burst of requests with one token asks once */
  private once<T>(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (token === undefined) return undefined;
    const st = this.staticTokens?.authenticate(token);
    if (st) return st;
    const key = createHash('sha256').update(token).digest('base64');
    const hit = this.tokens.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const p = await this.once(`t:${key}`, async () => {
      let r: Awaited<ReturnType<KubeReviews['tokenReview']>>;
      try {
        r = await this.reviews.tokenReview(token, this.cfg.audiences);
      } catch (e) {
        throw new HttpError(503, `cannot check the token with the Kubernetes API (TokenReview): ${(e as Error).message.split('\n')[0].slice(0, 200)}`, { 'Retry-After': '5' });
      }
      const u = r.user;
      const principal: Principal | null =
        r.authenticated && u?.username ? { name: u.username, via: 'kubernetes', ...(u.uid ? { uid: u.uid } : {}), groups: u.groups ?? [], ...(u.extra ? { extra: u.extra } : {}) } : null;
      this.tokens.set(key, principal);
      return principal;
    });
    return p ?? undefined;
  }

  async authorize(p: Principal, action: Action, scope: Scope): Promise<boolean> {
    if (p.via !== 'kubernetes') return this.staticTokens?.authorize(p, action) ?? false;
    const v = KUBE_VERBS[action];
    const spec: AccessSpec = {
      user: p.name,
      ...(p.uid ? { uid: p.uid } : {}),
      groups: p.groups ?? [],
      ...(p.extra ? { extra: p.extra } : {}),
      ...(scope.nonResource
        ? { nonResourceAttributes: { path: scope.nonResource, verb: 'get' } }
        : {
            resourceAttributes: {
              ...(scope.namespace ? { namespace: scope.namespace } : {}),
              verb: v.verb,
              group: this.cfg.group,
              resource: this.cfg.resource,
              ...(v.subresource ? { subresource: v.subresource } : {}),
              ...(scope.name ? { name: scope.name } : {}),
            },
          }),
    };
    const key = JSON.stringify(spec);
    const hit = this.access.get(key);
    if (hit !== undefined) return hit;
    return this.once(`a:${key}`, async () => {
      let ok: boolean;
      try {
        ok = await this.reviews.accessReview(spec);
      } catch (e) {
        throw new HttpError(503, `cannot check access with the Kubernetes API (SubjectAccessReview): ${(e as Error).message.split('\n')[0].slice(0, 200)}`, { 'Retry-After': '5' });
      }
      this.access.set(key, ok);
      return ok;
    });
  }

  describe(): string {
    return `kubernetes (TokenReview/SubjectAccessReview on ${this.cfg.resource}.${this.cfg.group}, cached ${this.cfg.cacheTtlMs} ms)${this.staticTokens ? ` + ${this.staticTokens.describe()}` : ''}`;
  }
}
