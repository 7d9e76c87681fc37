// Authentication and authorisation for the emulated API server, programmable by tests:
// tokens → users (what the server accepts as bearer tokens, and what TokenReview
// answers), grants of RBAC PolicyRules to users or groups (what SubjectAccessReview
// answers, and — with `authorize` — what the server itself enforces, 403 otherwise).
// Both reviews can also be answered by a function for odd cases (errors, delays).

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** an RBAC rule as in a (Cluster)Role */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export interface ResourceAttributes {
  namespace?: string;
  verb: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export interface SubjectAccessReviewSpec {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface TokenReviewSpec {
  token?: string;
  audiences?: string[];
}

export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

/** does a rule allow this request? (RBAC semantics: `*` wildcards, `resource/subresource`) */
export function ruleAllows(r: PolicyRule, a: ResourceAttributes | NonResourceAttributes): boolean {
  const has = (list: string[] | undefined, v: string): boolean => list !== undefined && (list.includes('*') || list.includes(v));
  if (!has(r.verbs, a.verb)) return false;
  if ('path' in a) {
    return (r.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!has(r.apiGroups, a.group ?? '')) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  const resources = r.resources ?? [];
  const resOk = resources.includes('*') || resources.includes(res) || (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resOk) return false;
  if (r.resourceNames && r.resourceNames.length > 0) return a.name !== undefined && r.resourceNames.includes(a.name);
  return true;
}

export function rulesAllow(rules: PolicyRule[], a: ResourceAttributes | NonResourceAttributes): boolean {
  return rules.some((r) => ruleAllows(r, a));
}

/** what every authenticated user may do in a real cluster (system:discovery, system:basic-user) */
const DISCOVERY: PolicyRule = { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version', '/healthz', '/livez', '/readyz', '/openapi/*'], verbs: ['get'] };

export class Reviews {
  /** bearer token → user */
  readonly tokens = new Map<string, UserInfo>();
  /** user name, or `group:<name>` → rules */
  readonly grants = new Map<string, PolicyRule[]>();
  /** override either answer entirely */
  tokenReview?: (spec: TokenReviewSpec) => TokenReviewStatus;
  subjectAccessReview?: (spec: SubjectAccessReviewSpec) => SubjectAccessReviewStatus;
  /** every review asked, in order */
  readonly asked: ({ kind: 'TokenReview'; spec: TokenReviewSpec } | { kind: 'SubjectAccessReview'; spec: SubjectAccessReviewSpec })[] = [];

  addToken(token: string, user: UserInfo): this {
    this.tokens.set(token, user);
    return this;
  }

  /** grant rules to a user name, or to a group as `group:<name>` */
  grant(subject: string, rules: PolicyRule[]): this {
    this.grants.set(subject, [...(this.grants.get(subject) ?? []), ...rules]);
    return this;
  }

  rulesOf(user: UserInfo): PolicyRule[] {
    const out = [DISCOVERY, ...(this.grants.get(user.username) ?? [])];
    for (const g of user.groups ?? []) out.push(...(this.grants.get(`group:${g}`) ?? []));
    return out;
  }

  allows(user: UserInfo, a: ResourceAttributes | NonResourceAttributes): boolean {
    return rulesAllow(this.rulesOf(user), a);
  }

  answerTokenReview(spec: TokenReviewSpec): TokenReviewStatus {
    this.asked.push({ kind: 'TokenReview', spec });
    if (this.tokenReview) return this.tokenReview(spec);
    const u = spec.token !== undefined ? this.tokens.get(spec.token) : undefined;
    if (!u) return { authenticated: false, error: 'token not recognised' };
    return { authenticated: true, user: u, ...(spec.audiences ? { audiences: spec.audiences } : {}) };
  }

  answerSubjectAccessReview(spec: SubjectAccessReviewSpec): SubjectAccessReviewStatus {
    this.asked.push({ kind: 'SubjectAccessReview', spec });
    if (this.subjectAccessReview) return this.subjectAccessReview(spec);
    const user: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [] };
    const a = spec.resourceAttributes ?? spec.nonResourceAttributes;
    if (!a) return { allowed: false, evaluationError: 'neither resourceAttributes nor nonResourceAttributes set' };
    return this.allows(user, a) ? { allowed: true, reason: 'allowed by a grant of the emulated server' } : { allowed: false, reason: 'no grant of the emulated server allows it' };
  }
}
