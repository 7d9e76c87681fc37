// Item keys: the one string a baseline stores per observed behaviour, by kind.
import type { RuntimeEvent } from '../../collector/event.ts';
import { generalizePath, normalizeAddr } from './generalize.ts';
import type { Names } from './names.ts';

/** Kinds a baseline learns. file_open is learned only for paths a source reports reads of. */
export const BASELINE_KINDS = ['exec', 'file_write', 'file_open', 'listen', 'connect', 'syscall'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

/**
 * Position of a kind in BASELINE_KINDS (the event kinds are the same six). Per-kind
 * state lives in arrays indexed by this: kinds are interned strings, so the switch is
 * a few pointer compares, cheaper than a Map lookup per event.
 */
export function kindIndex(kind: string): number {
  switch (kind) {
    case 'exec':
      return 0;
    case 'file_write':
      return 1;
    case 'file_open':
      return 2;
    case 'listen':
      return 3;
    case 'connect':
      return 4;
    case 'syscall':
      return 5;
    default:
      return -1;
  }
}

export interface ItemDetail {
  /** exec: generalised parent executables seen (lineage) */
  parents?: string[];
  /** exec: generalised argument patterns seen (bounded) */
  args?: string[];
  /** file_write: operations seen (create, write, rename, unlink, chmod; truncate: opened with O_TRUNC) */
  ops?: string[];
}

export interface Item {
  key: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  nodes: string[];
  detail?: ItemDetail;
}

/**
 * The generalised item key(s) of an event, before directory/address collapse.
 * exec → exe path; file_* → path; listen → "tcp *:8080" ("tcp pod:8080" on the pod's own
 * address); connect → "tcp 10.0.0.5:5432", or the peer's Kubernetes identity when
 * enrichment resolved it ("tcp svc:db/postgres:5432", "tcp shop/Deployment/web:8080"),
 * or the DNS name when a source knows it; syscall → one key per name.
 */
export function itemKeys(ev: RuntimeEvent, names: Names = plainNames): string[] {
  return ev.kind === 'syscall' ? ev.names : [singleKey(ev, names)];
}

/** the item key of an event of any kind but syscall (which has one per name) */
export function singleKey(ev: RuntimeEvent, names: Names = plainNames): string {
  switch (ev.kind) {
    case 'exec':
      return names.path(ev.process.exe);
    case 'file_write':
      // a rename is judged by where the file ends up: /tmp/x → /usr/bin/ls writes /usr/bin/ls
      return names.path(ev.op === 'rename' && ev.newPath !== undefined ? ev.newPath : ev.path);
    case 'file_open':
      return names.path(ev.path);
    case 'listen':
      return names.netKey(ev.proto, ev.peer ?? normalizeAddr(ev.addr), ev.port);
    case 'connect':
      // a Kubernetes identity (enrichment resolved the address) outlives the address
      return names.netKey(ev.proto, ev.peer ?? ev.dns ?? normalizeAddr(ev.dstAddr), ev.dstPort);
    case 'syscall':
      return ev.names.join(',');
  }
}

/** item keys computed afresh each time (a Profiler remembers them: names.ts) */
export const plainNames: Names = Object.freeze({
  path: generalizePath,
  netKey: (proto: string, host: string, port: number): string => `${proto} ${hostPort(host, port)}`,
});

/** `host:port`; an IPv6 address (or range) in brackets. Kubernetes peers (`svc:ns/name`) stay bare. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && /^[0-9a-f:.]+(?:\/\d+)?$/i.test(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** split "tcp 10.0.0.5:5432" → ["tcp", "10.0.0.5", "5432"] */
export function splitNetKey(key: string): [string, string, string] | undefined {
  const sp = key.indexOf(' ');
  const colon = key.lastIndexOf(':');
  if (sp < 0 || colon < sp) return undefined;
  let host = key.slice(sp + 1, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [key.slice(0, sp), host, key.slice(colon + 1)];
}
