// Destination identity: which Kubernetes Service an address belongs to. A Service's
// ClusterIPs (and load-balancer IPs) are its own; the addresses of its EndpointSlices
// are its pods'. By default only headless Services' slices are read (label
// service.kubernetes.io/headless): a client of a ClusterIP Service connects to the
// ClusterIP — connect() sees it before any NAT — so only headless Services (StatefulSet
// peers, direct pod discovery) put pod addresses in front of a workload. An address in
// several Services resolves to the first by name, so every node says the same.

export interface SlimService {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
  ips: string[];
}

export interface SlimSlice {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
  service?: string;
  ips: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const meta = (raw: Obj): SlimService['metadata'] => {
  const m = obj(raw.metadata);
  return { name: String(m.name ?? ''), namespace: String(m.namespace ?? ''), uid: String(m.uid ?? ''), ...(typeof m.resourceVersion === 'string' ? { resourceVersion: m.resourceVersion } : {}) };
};

/** an address as baselines and indexes know it: no brackets, no v4-mapped prefix, lower case */
export function normalizeIp(a: string): string {
  let s = a.toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.startsWith('::ffff:') && s.includes('.')) s = s.slice(7);
  return s;
}

export function slimService(raw: Obj): SlimService {
  const spec = obj(raw.spec);
  const ips = new Set<string>();
  for (const ip of [spec.clusterIP, ...arr(spec.clusterIPs), ...arr(spec.externalIPs)]) if (typeof ip === 'string' && ip !== '' && ip !== 'None') ips.add(normalizeIp(ip));
  for (const ing of arr(obj(obj(raw.status).loadBalancer).ingress)) {
    const ip = obj(ing).ip;
    if (typeof ip === 'string' && ip !== '') ips.add(normalizeIp(ip));
  }
  return { metadata: meta(raw), ips: [...ips] };
}

export function slimSlice(raw: Obj): SlimSlice {
  const labels = obj(obj(raw.metadata).labels);
  const svc = labels['kubernetes.io/service-name'];
  const ips = new Set<string>();
  for (const ep of arr(raw.endpoints)) for (const a of arr(obj(ep).addresses)) if (typeof a === 'string') ips.add(normalizeIp(a));
  return { metadata: meta(raw), ...(typeof svc === 'string' ? { service: svc } : {}), ips: [...ips] };
}

export class PeerIndex {
  /** address → services (namespace/name) claiming it, with how many objects claim it */
  private byIp = new Map<string, Map<string, number>>();
  /** the answer per address, kept current on every change */
  private best = new Map<string, string>();
  /** what each object (service or slice) claimed */
  private claims = new Map<string, { svc: string; ips: string[] }>();

  get size(): number {
    return this.best.size;
  }

  private claim(key: string, svc: string | undefined, ips: string[]): void {
    this.release(key);
    if (svc === undefined || ips.length === 0) return;
    this.claims.set(key, { svc, ips });
    for (const ip of ips) {
      let m = this.byIp.get(ip);
      if (!m) this.byIp.set(ip, (m = new Map()));
      m.set(svc, (m.get(svc) ?? 0) + 1);
      this.recompute(ip);
    }
  }

  private release(key: string): void {
    const c = this.claims.get(key);
    if (!c) return;
    this.claims.delete(key);
    for (const ip of c.ips) {
      const m = this.byIp.get(ip);
      if (!m) continue;
      const n = (m.get(c.svc) ?? 1) - 1;
      if (n <= 0) m.delete(c.svc);
      else m.set(c.svc, n);
      if (m.size === 0) this.byIp.delete(ip);
      this.recompute(ip);
    }
  }

  private recompute(ip: string): void {
    const m = this.byIp.get(ip);
    if (!m || m.size === 0) return void this.best.delete(ip);
    let first: string | undefined;
    for (const s of m.keys()) if (first === undefined || s < first) first = s;
    this.best.set(ip, `svc:${first}`);
  }

  setService(s: SlimService): void {
    this.claim(`svc/${s.metadata.namespace}/${s.metadata.name}`, `${s.metadata.namespace}/${s.metadata.name}`, s.ips);
  }

  removeService(s: SlimService): void {
    this.release(`svc/${s.metadata.namespace}/${s.metadata.name}`);
  }

  setSlice(s: SlimSlice): void {
    this.claim(`slice/${s.metadata.namespace}/${s.metadata.name}`, s.service !== undefined ? `${s.metadata.namespace}/${s.service}` : undefined, s.ips);
  }

  removeSlice(s: SlimSlice): void {
    this.release(`slice/${s.metadata.namespace}/${s.metadata.name}`);
  }

  /** `svc:namespace/name` of an address (normalised), when a Service claims it */
  service(ip: string): string | undefined {
    return this.best.get(ip);
  }
}
