// A NetworkPolicy from what a workload's baselines learned: ingress on the ports it
// listens on (from anywhere: a listen item does not say who connects), egress to the
// destinations it connects to — namespace and pod selectors for Kubernetes identities
// (`svc:ns/name`, a workload id `ns/Kind/name`), CIDRs for addresses and learned
// ranges, kube-dns for port 53. What a NetworkPolicy cannot say (DNS names) becomes a
// port-only rule and a note.
import { isIP } from 'node:net';
import type { BaselineSnapshot } from '../../../models/baseline/baseline.ts';
import { splitNetKey } from '../../../models/baseline/items.ts';
import { isRange } from '../../../models/baseline/cidr.ts';

export interface PeerSelector {
  namespace: string;
  /** the pods' labels when known (a Service's selector); absent: every pod of the namespace */
  podLabels?: Record<string, string>;
}

/** Kubernetes identity of a destination, when it is one */
export type IdentityResolver = (peer: string) => PeerSelector | undefined;

/** a destination that is a Kubernetes identity, as enrichment names it (collector/event.ts) */
export interface KubePeer {
  namespace: string;
  /** a Service (`svc:ns/name`) or a workload's pods (`ns/Kind/name`) */
  type: 'service' | 'workload';
  name: string;
  kind?: string;
}

const SERVICE = /^(?:svc|service):([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;
const WORKLOAD = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([A-Z][A-Za-z0-9]*)\/([^/\s]+)$/;

export function kubePeer(host: string): KubePeer | undefined {
  const s = SERVICE.exec(host);
  if (s) return { namespace: s[1], type: 'service', name: s[3] };
  const w = WORKLOAD.exec(host);
  return w ? { namespace: w[1], type: 'workload', kind: w[3], name: w[4] } : undefined;
}

/** the namespace only (the pods' labels need the Kubernetes API: selectors.ts) */
export const namespaceOnly: IdentityResolver = (peer) => {
  const p = kubePeer(peer);
  return p ? { namespace: p.namespace } : undefined;
};

type Port = { protocol: 'TCP' | 'UDP'; port: number };
type NpPeer = Record<string, unknown>;

const LOOPBACK = (h: string): boolean => h === 'localhost' || h === '::1' || /^127\./.test(h);
const protoOf = (p: string): 'TCP' | 'UDP' | undefined => (p === 'tcp' ? 'TCP' : p === 'udp' ? 'UDP' : undefined);
const KUBE_DNS: NpPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };

export interface NetworkPolicyExport {
  policy: Record<string, unknown>;
  notes: string[];
}

export function dnsLabelName(s: string, max = 63): string {
  const n = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
  return n === '' ? 'workload' : n;
}

function portKey(p: Port): string {
  return `${p.protocol}/${p.port}`;
}

export function networkPolicyFrom(
  snaps: BaselineSnapshot[],
  o: { namespace: string; name: string; podLabels: Record<string, string>; resolve?: IdentityResolver },
): NetworkPolicyExport {
  const notes: string[] = [];
  const resolve = o.resolve ?? namespaceOnly;
  const ingress = new Map<string, Port>();
  // egress rules keyed by peer; '' = any destination (port-only)
  const egress = new Map<string, { peer?: NpPeer; ports: Map<string, Port> }>();
  const addEgress = (key: string, peer: NpPeer | undefined, port: Port): void => {
    let r = egress.get(key);
    if (!r) egress.set(key, (r = { peer, ports: new Map() }));
    r.ports.set(portKey(port), port);
  };
  const unresolved = new Set<string>();
  for (const s of snaps) {
    for (const it of s.items.listen ?? []) {
      const p = splitNetKey(it.key);
      const proto = p && protoOf(p[0]);
      if (!p || !proto || !/^\d+$/.test(p[2])) continue;
      // loopback traffic is not subject to NetworkPolicy; `*` and `pod` (its own address) are
      if (LOOPBACK(p[1])) continue;
      const port = { protocol: proto, port: Number(p[2]) };
      ingress.set(portKey(port), port);
    }
    for (const it of s.items.connect ?? []) {
      const p = splitNetKey(it.key);
      const proto = p && protoOf(p[0]);
      if (!p || !proto) {
        notes.push(`connect item ${it.key}: not TCP/UDP, not expressible in a NetworkPolicy`);
        continue;
      }
      const [, host, portText] = p;
      if (LOOPBACK(host)) continue;
      if (!/^\d+$/.test(portText) || Number(portText) < 1) {
        notes.push(`connect item ${it.key}: no single port; left out`);
        continue;
      }
      const port: Port = { protocol: proto, port: Number(portText) };
      if (port.port === 53) {
        addEgress('dns', KUBE_DNS, port);
        continue;
      }
      const id = resolve(host) ?? namespaceOnly(host);
      if (id) {
        const peer: NpPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': id.namespace } }, podSelector: id.podLabels ? { matchLabels: id.podLabels } : {} };
        addEgress(`id:${id.namespace}:${JSON.stringify(id.podLabels ?? {})}`, peer, port);
        if (!id.podLabels) notes.push(`${host}: pods of namespace ${id.namespace} (the Service's selector was not known)`);
        continue;
      }
      if (host === '*') {
        addEgress('', undefined, port);
        continue;
      }
      const v = isIP(host);
      if (v !== 0) {
        addEgress(`ip:${host}`, { ipBlock: { cidr: `${host}/${v === 4 ? 32 : 128}` } }, port);
        continue;
      }
      if (isRange(host)) {
        // a learned address range (models/baseline/cidr.ts): the range itself
        addEgress(`ip:${host}`, { ipBlock: { cidr: host } }, port);
        continue;
      }
      unresolved.add(host);
      addEgress('', undefined, port);
    }
  }
  if (unresolved.size > 0) {
    notes.push(`DNS names cannot be NetworkPolicy peers: ${[...unresolved].sort().join(', ')} are allowed as any destination on their ports`);
    if (!egress.has('dns')) addEgress('dns', KUBE_DNS, { protocol: 'UDP', port: 53 });
  }
  const byPort = (a: Port, b: Port): number => a.port - b.port || (a.protocol < b.protocol ? -1 : 1);
  const egressRules = [...egress.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, r]) => ({ ...(r.peer ? { to: [r.peer] } : {}), ports: [...r.ports.values()].sort(byPort) }));
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: dnsLabelName(`habitwatch-${o.name}`, 253),
      namespace: o.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'habitwatch' },
    },
    spec: {
      podSelector: { matchLabels: o.podLabels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress.size > 0 ? [{ ports: [...ingress.values()].sort(byPort) }] : [],
      egress: egressRules,
    },
  };
  return { policy, notes };
}
