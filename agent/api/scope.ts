// What a workload id says about where it lives, for authorisation: Kubernetes ids
// are `namespace/Kind/name` (namespaced), host ids `host/cgroup/<path>` are not.
import type { Scope } from './auth/types.ts';

const NAMESPACED = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([A-Z][A-Za-z0-9]*)\/([^/]+)$/;

export function workloadScope(id: string): Scope {
  const m = NAMESPACED.exec(id);
  return m ? { namespace: m[1], name: m[4] } : {};
}
