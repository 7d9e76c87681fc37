// Validates one normalised JSON event (docs/events.md) into a RuntimeEvent.
// Returns a reason token instead of throwing, so callers count and move on.
import { EVENT_KINDS, FILE_OPS, type EventKind, type ProcessInfo, type RuntimeEvent } from '../../event.ts';

export type DecodeResult = { ok: true; event: RuntimeEvent } | { ok: false; reason: string; detail: string };

const KINDS = new Set<string>(EVENT_KINDS);
const OPS = new Set<string>(FILE_OPS);
const PROTOS = new Set(['tcp', 'udp', 'unix', 'raw']);

function fail(reason: string, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  if (isStr(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

function decodeProcess(p: unknown): ProcessInfo | string {
  if (!isObj(p)) return 'process is missing or not an object';
  if (!isInt(p.pid) || p.pid < 0) return 'process.pid must be a non-negative integer';
  if (!isStr(p.exe) || p.exe === '') return 'process.exe must be a non-empty string';
  let args: string[] = [];
  if (p.args !== undefined) {
    if (!Array.isArray(p.args) || !p.args.every(isStr)) return 'process.args must be an array of strings';
    args = p.args;
  }
  const out: ProcessInfo = { pid: p.pid, exe: p.exe, args };
  if (isInt(p.ppid)) out.ppid = p.ppid;
  if (isInt(p.uid)) out.uid = p.uid;
  if (isStr(p.cwd)) out.cwd = p.cwd;
  if (Array.isArray(p.ancestors)) {
    out.ancestors = p.ancestors.filter(isObj).flatMap((a) =>
      isStr(a.exe)
        ? [{ exe: a.exe, ...(isInt(a.pid) ? { pid: a.pid } : {}), ...(Array.isArray(a.args) ? { args: a.args.filter(isStr) } : {}) }]
        : [],
    );
  }
  return out;
}

export function decodeEvent(v: unknown, defaults: { node: string; source?: string }): DecodeResult {
  if (!isObj(v)) return fail('not_an_object', 'event must be a JSON object');
  const kind = v.kind;
  if (!isStr(kind)) return fail('missing_field', 'kind is missing');
  if (!KINDS.has(kind)) return fail('unknown_kind', `unknown kind ${JSON.stringify(kind).slice(0, 40)}`);
  const time = parseTime(v.time);
  if (time === undefined) return fail('missing_field', 'time must be epoch ms or an ISO 8601 string');
  const proc = decodeProcess(v.process);
  if (typeof proc === 'string') return fail('missing_field', proc);
  const base = {
    time,
    node: isStr(v.node) ? v.node : defaults.node,
    source: isStr(v.source) ? v.source : (defaults.source ?? 'events'),
    process: proc,
    enrichment: v.enrichment === 'complete' ? ('complete' as const) : ('partial' as const),
  };
  const env: Omit<RuntimeEvent, 'kind'> & Record<string, unknown> = { ...base };
  if (isObj(v.cgroup)) {
    env.cgroup = {
      ...(isStr(v.cgroup.path) ? { path: v.cgroup.path } : {}),
      ...(isStr(v.cgroup.id) || isInt(v.cgroup.id) ? { id: String(v.cgroup.id) } : {}),
    };
  }
  if (isObj(v.container) && isStr(v.container.id)) {
    const c = v.container;
    env.container = {
      id: c.id as string,
      runtime: isStr(c.runtime) ? (c.runtime as 'containerd') : 'unknown',
      ...(isStr(c.name) ? { name: c.name } : {}),
      ...(isStr(c.image) ? { image: c.image } : {}),
      ...(isStr(c.imageDigest) ? { imageDigest: c.imageDigest } : {}),
    };
  }
  if (isObj(v.workload)) {
    const w = v.workload;
    if (!isStr(w.id) || !isStr(w.kind) || !isStr(w.name)) return fail('missing_field', 'workload needs id, kind and name');
    env.workload = { id: w.id, kind: w.kind, name: w.name };
    for (const k of ['namespace', 'container', 'pod', 'podUid', 'image'] as const) {
      if (isStr(w[k])) env.workload[k] = w[k] as string;
    }
  }
  return decodePayload(kind as EventKind, v, env as Omit<RuntimeEvent, 'kind'>);
}

function decodePayload(kind: EventKind, v: Record<string, unknown>, env: Omit<RuntimeEvent, 'kind'>): DecodeResult {
  switch (kind) {
    case 'exec':
      return { ok: true, event: { ...env, kind } };
    case 'file_write': {
      if (!isStr(v.path) || v.path === '') return fail('missing_field', 'file_write needs path');
      const op = v.op ?? 'write';
      if (!isStr(op) || !OPS.has(op)) return fail('bad_value', `file_write op must be one of ${FILE_OPS.join('|')}`);
      return {
        ok: true,
        event: { ...env, kind, path: v.path, op: op as 'write', ...(isStr(v.newPath) ? { newPath: v.newPath } : {}) },
      };
    }
    case 'file_open': {
      if (!isStr(v.path) || v.path === '') return fail('missing_field', 'file_open needs path');
      const flags = Array.isArray(v.flags) ? v.flags.filter(isStr) : undefined;
      return { ok: true, event: { ...env, kind, path: v.path, ...(flags ? { flags } : {}) } };
    }
    case 'listen': {
      const proto = v.proto ?? 'tcp';
      if (!isStr(proto) || !PROTOS.has(proto)) return fail('bad_value', 'listen proto must be tcp|udp|unix|raw');
      if (!isInt(v.port) || v.port < 0 || v.port > 65535) return fail('missing_field', 'listen needs port 0-65535');
      return { ok: true, event: { ...env, kind, proto: proto as 'tcp', addr: isStr(v.addr) ? v.addr : '0.0.0.0', port: v.port } };
    }
    case 'connect': {
      const proto = v.proto ?? 'tcp';
      if (!isStr(proto) || !PROTOS.has(proto)) return fail('bad_value', 'connect proto must be tcp|udp|unix|raw');
      if (!isStr(v.dstAddr) || v.dstAddr === '') return fail('missing_field', 'connect needs dstAddr');
      if (!isInt(v.dstPort) || v.dstPort < 0 || v.dstPort > 65535) return fail('missing_field', 'connect needs dstPort 0-65535');
      return {
        ok: true,
        event: { ...env, kind, proto: proto as 'tcp', dstAddr: v.dstAddr, dstPort: v.dstPort, ...(isStr(v.dns) ? { dns: v.dns } : {}) },
      };
    }
    case 'syscall': {
      if (!Array.isArray(v.names) || v.names.length === 0 || !v.names.every(isStr))
        return fail('missing_field', 'syscall needs names: non-empty array of strings');
      return { ok: true, event: { ...env, kind, names: v.names } };
    }
  }
}
