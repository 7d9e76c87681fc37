// What a workload id says about where it lives, for authorisation: Kubernetes ids
// are `namespace/Kind/name` (namespaced), host ids `host/cgroup/<path>` are not. The
// name is the WorkloadBaseline object's, `<kind>.<name>` in lower case (deployment.web),
// so RBAC `resourceNames` can single out one workload.
import type { Scope } from './auth/types.ts';

const NAMESPACED = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([A-Z][A-Za-z0-9]*)\/([^/]+)$/;

export function workloadScope(id: string): Scope {
  const m = NAMESPACED.exec(id);
  return m ? { namespace: m[1], name: `${m[3].toLowerCase()}.${m[4]}` } : {};
}
