// Validates one normalised JSON event (docs/events.md) into a RuntimeEvent.
// Returns a reason token instead of throwing, so callers count and move on.
//
// The normalised form IS the RuntimeEvent shape, so a valid parsed object is
// checked and completed in place rather than copied: decoding is on the replay
// hot path and copying every event doubled its cost.
import { EVENT_KINDS, FILE_OPS, type RuntimeEvent } from '../../event.ts';

export type DecodeResult = { ok: true; event: RuntimeEvent } | { ok: false; reason: string; detail: string };

// kind → the canonical string constant: every later Map lookup keyed by kind then
// hits a string whose hash is already known (JSON.parse gives a fresh copy per event)
const KINDS = new Map<string, string>(EVENT_KINDS.map((k) => [k, k]));
const OPS = new Set<string>(FILE_OPS);
const PROTOS = new Set(['tcp', 'udp', 'unix', 'raw']);
const RUNTIMES = new Set(['containerd', 'cri-o', 'docker', 'podman', 'unknown']);

function fail(reason: string, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isPort = (v: unknown): v is number => isInt(v) && v >= 0 && v <= 65535;

function strArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function validAncestor(a: unknown): boolean {
  return isObj(a) && isStr(a.exe) && (a.args === undefined || strArray(a.args));
}

// a loop, not .every(): no callback per event
function allValidAncestors(a: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!validAncestor(a[i])) return false;
  return true;
}

/** optional workload strings: a wrong type is dropped, not fatal (named loads: a keyed loop is slower) */
function dropBadWorkloadStrings(w: Obj): void {
  if (w.namespace !== undefined && !isStr(w.namespace)) delete w.namespace;
  if (w.container !== undefined && !isStr(w.container)) delete w.container;
  if (w.pod !== undefined && !isStr(w.pod)) delete w.pod;
  if (w.podUid !== undefined && !isStr(w.podUid)) delete w.podUid;
  if (w.image !== undefined && !isStr(w.image)) delete w.image;
}

function checkProcess(p: unknown): string | undefined {
  if (!isObj(p)) return 'process is missing or not an object';
  if (!isInt(p.pid) || p.pid < 0) return 'process.pid must be a non-negative integer';
  if (!isStr(p.exe) || p.exe === '') return 'process.exe must be a non-empty string';
  if (p.args === undefined) p.args = [];
  else if (!strArray(p.args)) return 'process.args must be an array of strings';
  if (p.ppid !== undefined && !isInt(p.ppid)) delete p.ppid;
  if (p.uid !== undefined && !isInt(p.uid)) delete p.uid;
  if (p.cwd !== undefined && !isStr(p.cwd)) delete p.cwd;
  const anc = p.ancestors;
  if (anc !== undefined) {
    if (!Array.isArray(anc)) delete p.ancestors;
    else if (!allValidAncestors(anc)) p.ancestors = anc.filter(validAncestor);
  }
  return undefined;
}

export function decodeEvent(v: unknown, defaults: { node: string; source?: string }): DecodeResult {
  if (!isObj(v)) return fail('not_an_object', 'event must be a JSON object');
  const kind = v.kind;
  if (!isStr(kind)) return fail('missing_field', 'kind is missing');
  const canonicalKind = KINDS.get(kind);
  if (canonicalKind === undefined) return fail('unknown_kind', `unknown kind ${JSON.stringify(kind).slice(0, 40)}`);
  v.kind = canonicalKind;
  const t = v.time;
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t <= 0) return fail('missing_field', 'time must be epoch ms or an ISO 8601 string');
  } else if (isStr(t)) {
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) return fail('missing_field', 'time must be epoch ms or an ISO 8601 string');
    v.time = ms;
  } else return fail('missing_field', 'time must be epoch ms or an ISO 8601 string');
  const perr = checkProcess(v.process);
  if (perr !== undefined) return fail('missing_field', perr);
  if (!isStr(v.node)) v.node = defaults.node;
  if (!isStr(v.source)) v.source = defaults.source ?? 'events';
  if (v.enrichment !== 'complete') v.enrichment = 'partial';
  if (v.cgroup !== undefined) {
    const c = v.cgroup;
    if (!isObj(c)) delete v.cgroup;
    else {
      if (c.path !== undefined && !isStr(c.path)) delete c.path;
      if (isInt(c.id)) c.id = String(c.id);
      else if (c.id !== undefined && !isStr(c.id)) delete c.id;
    }
  }
  if (v.container !== undefined) {
    const c = v.container;
    if (!isObj(c) || !isStr(c.id)) delete v.container;
    else if (!isStr(c.runtime) || !RUNTIMES.has(c.runtime)) c.runtime = 'unknown';
  }
  if (v.workload !== undefined) {
    const w = v.workload;
    if (!isObj(w) || !isStr(w.id) || !isStr(w.kind) || !isStr(w.name)) return fail('missing_field', 'workload needs id, kind and name');
    dropBadWorkloadStrings(w);
  }
  const err = checkPayload(kind, v);
  if (err !== undefined) return err;
  return { ok: true, event: v as unknown as RuntimeEvent };
}

function checkPayload(kind: string, v: Obj): DecodeResult | undefined {
  switch (kind) {
    case 'exec':
      return undefined;
    case 'file_write': {
      if (!isStr(v.path) || v.path === '') return fail('missing_field', 'file_write needs path');
      if (v.op === undefined) v.op = 'write';
      if (!isStr(v.op) || !OPS.has(v.op)) return fail('bad_value', `file_write op must be one of ${FILE_OPS.join('|')}`);
      if (v.newPath !== undefined && !isStr(v.newPath)) delete v.newPath;
      return undefined;
    }
    case 'file_open': {
      if (!isStr(v.path) || v.path === '') return fail('missing_field', 'file_open needs path');
      if (v.flags !== undefined && !strArray(v.flags)) delete v.flags;
      return undefined;
    }
    case 'listen': {
      if (v.proto === undefined) v.proto = 'tcp';
      if (!isStr(v.proto) || !PROTOS.has(v.proto)) return fail('bad_value', 'listen proto must be tcp|udp|unix|raw');
      if (!isPort(v.port)) return fail('missing_field', 'listen needs port 0-65535');
      if (!isStr(v.addr)) v.addr = '0.0.0.0';
      return undefined;
    }
    case 'connect': {
      if (v.proto === undefined) v.proto = 'tcp';
      if (!isStr(v.proto) || !PROTOS.has(v.proto)) return fail('bad_value', 'connect proto must be tcp|udp|unix|raw');
      if (!isStr(v.dstAddr) || v.dstAddr === '') return fail('missing_field', 'connect needs dstAddr');
      if (!isPort(v.dstPort)) return fail('missing_field', 'connect needs dstPort 0-65535');
      if (v.dns !== undefined && !isStr(v.dns)) delete v.dns;
      return undefined;
    }
    case 'syscall': {
      if (!Array.isArray(v.names) || v.names.length === 0 || !strArray(v.names))
        return fail('missing_field', 'syscall needs names: non-empty array of strings');
      return undefined;
    }
  }
  return fail('unknown_kind', `unknown kind ${kind}`);
}
