// Address ranges for the generalisation of connect destinations: when a workload talks
// to many addresses of one range it is talking to the range (a pool, a CDN, a cloud
// service), and a new address in it is not news. IPv4 steps up /24 then /16, IPv6
// /64 then /48. Pure string work, no I/O.

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v6Groups(addr: string): number[] | undefined {
  if (!/^[0-9a-f:]+$/i.test(addr) || addr.split('::').length > 2) return undefined;
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** the narrow and wide range of an address literal ([/24, /16] or [/64, /48]); undefined for anything else */
export function addressRanges(host: string): [string, string] | undefined {
  const m = V4.exec(host);
  if (m) {
    if (m.slice(1).some((o) => Number(o) > 255)) return undefined;
    return [`${m[1]}.${m[2]}.${m[3]}.0/24`, `${m[1]}.${m[2]}.0.0/16`];
  }
  if (!host.includes(':')) return undefined;
  const g = v6Groups(host);
  if (!g) return undefined;
  const hex = (n: number): string => n.toString(16);
  return [`${g.slice(0, 4).map(hex).join(':')}::/64`, `${g.slice(0, 3).map(hex).join(':')}::/48`];
}

/** a host that is an address range (10.0.3.0/24, fd00:1::/64) */
export function isRange(host: string): boolean {
  return host.includes('/') && /^[0-9a-f:.]+\/\d{1,3}$/i.test(host);
}
