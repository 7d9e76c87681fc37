// What a person may add to a baseline by hand, or forbid. An approval may be a
// pattern, but never one wider than a pattern the baseline could have learned itself:
// learning only ever makes `*` stand for one generalised path segment (a pid, a temp
// name, a collapsed directory's child) or for the host of a collapsed destination set.
// So `**`, a wildcard first path segment (`/*`, `/*/bin/sh`), a wildcard port or a
// wildcard syscall name are refused: one such call would blind a whole kind.
import { splitNetKey, type BaselineKind } from './items.ts';
import { isRange } from './cidr.ts';

export const MAX_ITEM_LENGTH = 1024;
const PROTOS = new Set(['tcp', 'udp', 'unix', 'raw']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const SYSCALL = /^[a-z][a-z0-9_]{0,63}$/;
const PATH_KINDS = new Set<BaselineKind>(['exec', 'file_write', 'file_open']);

function syntaxProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern === '') return 'must be a non-empty string';
  if (pattern.length > MAX_ITEM_LENGTH) return `longer than ${MAX_ITEM_LENGTH} characters`;
  if (CONTROL.test(pattern)) return 'contains control characters';
  return undefined;
}

function pathProblem(p: string, allowDeep: boolean): string | undefined {
  if (!p.startsWith('/')) {
    // pseudo-paths and bare program names (memfd:x, a comm name): no leading wildcard
    if (p.includes('/')) return 'a path must be absolute';
    if (p.startsWith('*')) return 'a name may not start with a wildcard';
    return undefined;
  }
  const segs = p.slice(1).split('/');
  for (const s of segs) {
    if (s === '') return 'empty path segment ("//" or a trailing "/")';
    if (s === '.' || s === '..') return `"${s}" segments are not allowed`;
    if (!allowDeep && s.includes('**')) return '"**" (any depth) is wider than anything a baseline learns';
  }
  if (segs[0].includes('*')) return `a wildcard in the first path segment ("/${segs[0]}") is wider than anything a baseline learns`;
  return undefined;
}

function netProblem(p: string, kind: BaselineKind, allowWide: boolean): string | undefined {
  const parts = splitNetKey(p);
  if (!parts) return `must look like "tcp 10.0.0.5:5432" (proto host:port)`;
  const [proto, host, port] = parts;
  if (!PROTOS.has(proto)) return `protocol must be one of ${[...PROTOS].join(', ')}`;
  if (host === '') return 'host is empty';
  if (!allowWide) {
    if (p.includes('**')) return '"**" is wider than anything a baseline learns';
    if (host !== '*' && host.includes('*')) return 'a host is either exact or "*" (a collapsed destination set)';
    if (isRange(host)) {
      // learning collapses addresses to /24 then /16 (IPv6 /64 then /48), never wider
      const bits = Number(host.slice(host.indexOf('/') + 1));
      const v6 = host.includes(':');
      if (bits < (v6 ? 48 : 16) || bits > (v6 ? 128 : 32)) return `an address range is at most a /${v6 ? 48 : 16} (what learning collapses to), not /${bits}`;
    }
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `port must be a number from 0 to 65535 (got ${port})`;
    if (kind === 'connect' && host === '*' && port === '0') return 'any host on port 0 is not a destination';
  } else if (!/^(\d{1,5}|\*)$/.test(port)) return `port must be a number or "*" (got ${port})`;
  return undefined;
}

/** Why `pattern` may not be approved into a baseline of `kind`, or undefined when it may. */
export function approvalProblem(kind: BaselineKind, pattern: unknown): string | undefined {
  const s = syntaxProblem(pattern);
  if (s) return s;
  const p = pattern as string;
  if (p.includes('**')) return '"**" (any depth) is wider than anything a baseline learns';
  if (PATH_KINDS.has(kind)) return pathProblem(p, false);
  if (kind === 'listen' || kind === 'connect') return netProblem(p, kind, false);
  return SYSCALL.test(p) ? undefined : 'a syscall name (lower case letters, digits, _), no wildcards';
}

/**
 * Why `pattern` may not be forbidden. Forbidding wide is safe (it only adds alerts),
 * so `**` and wildcards are allowed; the pattern must still be well-formed.
 */
export function forbidProblem(kind: BaselineKind, pattern: unknown): string | undefined {
  const s = syntaxProblem(pattern);
  if (s) return s;
  const p = pattern as string;
  if (PATH_KINDS.has(kind)) {
    const prob = pathProblem(p, true);
    // a wide forbid (/*/x) only adds alerts
    return prob?.startsWith('a wildcard in the first') ? undefined : prob;
  }
  if (kind === 'listen' || kind === 'connect') return netProblem(p, kind, true);
  return /^[a-z0-9_*]{1,64}$/.test(p) ? undefined : 'a syscall name or glob (lower case letters, digits, _, *)';
}
