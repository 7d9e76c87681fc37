// /proc/net/{tcp,tcp6,udp,udp6} rows. Addresses are the kernel's __be32 words printed
// as host-order %08X, so on little-endian hosts each 4-byte group is byte-reversed
// (0100007F = 127.0.0.1); ports are plain hex in host order.
import { endianness } from 'node:os';

export interface Endpoint {
  addr: string;
  port: number;
}

export interface NetRow {
  local: Endpoint;
  remote: Endpoint;
  /** include/net/tcp_states.h: 1 ESTABLISHED, 2 SYN_SENT, 7 CLOSE, 10 LISTEN… */
  state: number;
  uid: number;
  /** socket inode; 0 for TIME_WAIT and other orphaned rows */
  inode: number;
}

export type RowResult = { ok: true; row: NetRow } | { ok: false; reason: string } | { ok: 'skip' };

export const TCP_ESTABLISHED = 0x01;
export const TCP_SYN_SENT = 0x02;
export const TCP_CLOSE = 0x07;
export const TCP_LISTEN = 0x0a;

const LITTLE = endianness() === 'LE';
const HEX = /^[0-9A-Fa-f]+$/;

/** 8 or 32 hex chars (host-order 32-bit words) → 4 or 16 network-order bytes */
export function hexToBytes(hex: string, littleEndian = LITTLE): Uint8Array | undefined {
  if ((hex.length !== 8 && hex.length !== 32) || !HEX.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const src = littleEndian ? 3 - b : b;
      out[w * 4 + b] = parseInt(hex.substr(w * 8 + src * 2, 2), 16);
    }
  }
  return out;
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lowercase, longest run of ≥2 zero groups as ::, v4-mapped as ::ffff:a.b.c.d */
export function formatIPv6(b: Uint8Array): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) mapped = false;
  if (mapped && b[10] === 0xff && b[11] === 0xff) return `::ffff:${formatIPv4(b, 12)}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** `0100007F:1F90` → {addr: '127.0.0.1', port: 8080} */
export function parseEndpoint(s: string, littleEndian = LITTLE): Endpoint | undefined {
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  const portHex = s.slice(i + 1);
  if (portHex.length !== 4 || !HEX.test(portHex)) return undefined;
  const bytes = hexToBytes(s.slice(0, i), littleEndian);
  if (!bytes) return undefined;
  return { addr: bytes.length === 4 ? formatIPv4(bytes) : formatIPv6(bytes), port: parseInt(portHex, 16) };
}

/** One table line. The header and blank lines are 'skip'; malformed ones carry a reason. */
export function parseNetLine(line: string, littleEndian = LITTLE): RowResult {
  const t = line.trim();
  if (t === '' || t.startsWith('sl ')) return { ok: 'skip' };
  const f = t.split(/\s+/);
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode [...]
  if (f.length < 10) return { ok: false, reason: 'short_row' };
  if (!/^\d+:$/.test(f[0])) return { ok: false, reason: 'bad_slot' };
  const local = parseEndpoint(f[1], littleEndian);
  const remote = parseEndpoint(f[2], littleEndian);
  if (!local || !remote) return { ok: false, reason: 'bad_address' };
  if (f[3].length !== 2 || !HEX.test(f[3])) return { ok: false, reason: 'bad_state' };
  if (!/^\d+$/.test(f[7]) || !/^\d+$/.test(f[9])) return { ok: false, reason: 'bad_number' };
  return { ok: true, row: { local, remote, state: parseInt(f[3], 16), uid: Number(f[7]), inode: Number(f[9]) } };
}

/** A v4-mapped v6 address as plain IPv4, so one peer has one spelling across tables. */
export function unmapV4(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
