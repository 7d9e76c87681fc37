// Who may do what through the API. A provider authenticates a bearer token (or its
// absence) to a principal and authorises an action on a scope. Actions are few and
// named for what they do to detection, so one table maps them to standalone roles
// and to Kubernetes verbs (docs/api.md, "Authorisation").

export const ROLES = ['read', 'respond', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * get/list: read. approve: add behaviour to a baseline or triage an alert (the
 * responder's daily work). patch: lock/unlock, forbid. update: relearn, remove
 * items, import — rewriting what a baseline knows.
 */
export const ACTIONS = ['get', 'list', 'approve', 'patch', 'update'] as const;
export type Action = (typeof ACTIONS)[number];

const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  read: ['get', 'list'],
  respond: ['get', 'list', 'approve', 'patch'],
  admin: ['get', 'list', 'approve', 'patch', 'update'],
};

export function roleAllows(role: Role | undefined, action: Action): boolean {
  return role !== undefined && ROLE_ACTIONS[role].includes(action);
}

/** What an action is about: the workload's namespace and name, or a non-resource path. */
export interface Scope {
  /** Kubernetes namespace of the workload (absent: cluster-wide or host workloads) */
  namespace?: string;
  /** the WorkloadBaseline object's name, when one workload is meant */
  name?: string;
  /** a non-resource URL such as /metrics */
  nonResource?: string;
}

export interface Principal {
  /** recorded as the actor of every change */
  name: string;
  via: 'token' | 'kubernetes' | 'anonymous' | 'local';
  /** standalone role; Kubernetes principals are authorised per request instead */
  role?: Role;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AuthProvider {
  /** the principal for a bearer token (undefined token: none was sent); undefined = 401 */
  authenticate(token: string | undefined): Principal | undefined | Promise<Principal | undefined>;
  authorize(p: Principal, action: Action, scope: Scope): boolean | Promise<boolean>;
  /** for the start-up log line */
  describe(): string;
  close?(): void;
}
