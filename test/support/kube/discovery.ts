// Legacy API discovery, as kubectl and client-node's KubernetesObjectApi read it:
// /api, /apis, /apis/{group}, /api/v1 and /apis/{group}/{version} resource lists,
// /version. (Aggregated discovery is not served: clients fall back to these.)
import { apiVersionOf, type ResourceType } from './resources.ts';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(types: ResourceType[], groupVersion: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const t of types.filter((x) => apiVersionOf(x) === groupVersion)) {
    resources.push({
      name: t.resource,
      singularName: t.kind.toLowerCase(),
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.virtual ? ['create'] : VERBS,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
    });
    if (t.statusSubresource) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function group(types: ResourceType[], name: string): Record<string, unknown> {
  const versions = [...new Set(types.filter((t) => t.group === name).map((t) => t.version))].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
}

/** the discovery document at `path`, or undefined when there is none */
export function discovery(types: ResourceType[], path: string, address: string): unknown {
  const p = path.replace(/\/+$/, '');
  if (p === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-habitwatch-emulated', platform: 'linux/amd64' };
  if (p === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }] };
  if (p === '/api/v1') return resourceList(types, 'v1');
  const groups = [...new Set(types.map((t) => t.group).filter((g) => g !== ''))].sort();
  if (p === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => group(types, g)) };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  if (m && groups.includes(m[1])) return m[2] ? resourceList(types, `${m[1]}/${m[2]}`) : group(types, m[1]);
  return undefined;
}
