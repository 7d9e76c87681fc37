// Validates one normalised JSON event (docs/events.md) into a RuntimeEvent.
// Returns a reason token instead of throwing, so callers count and move on.
//
// The normalised form is the RuntimeEvent shape. Nested objects (process, workload,
// container, cgroup) are checked and completed in place; the top level is rebuilt as
// an EventRecord (collector/event.ts), one hidden class for every kind, reading each
// field of the parsed object once. Keys the format does not define are dropped.
import {
  EVENT_KINDS,
  EventRecord,
  FILE_OPS,
  type CgroupRef,
  type ContainerRef,
  type EventKind,
  type FileOp,
  type ProcessInfo,
  type Proto,
  type RuntimeEvent,
  type WorkloadRef,
} from '../../event.ts';

export type DecodeResult = { ok: true; event: RuntimeEvent } | { ok: false; reason: string; detail: string };

// kind → itself, typed: validates the kind and narrows it to EventKind in one lookup
const KINDS = new Map<string, EventKind>(EVENT_KINDS.map((k) => [k, k]));
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
  // every field of the parsed object is read once, here: its shape differs by kind, so
  // each read is a slow (megamorphic) one; the record built below has one shape
  const kindIn = v.kind;
  if (!isStr(kindIn)) return fail('missing_field', 'kind is missing');
  const kind = KINDS.get(kindIn);
  if (kind === undefined) return fail('unknown_kind', `unknown kind ${JSON.stringify(kindIn).slice(0, 40)}`);
  const time = timeOf(v.time);
  if (time === undefined) return fail('missing_field', 'time must be epoch ms or an ISO 8601 string');
  const process = v.process;
  const perr = checkProcess(process);
  if (perr !== undefined) return fail('missing_field', perr);
  const node = v.node;
  const source = v.source;
  const cgroup = cgroupOf(v.cgroup);
  const container = containerOf(v.container);
  const workload = v.workload;
  if (workload !== undefined) {
    if (!isObj(workload) || !isStr(workload.id) || !isStr(workload.kind) || !isStr(workload.name)) return fail('missing_field', 'workload needs id, kind and name');
    dropBadWorkloadStrings(workload);
  }
  const ev = new EventRecord(
    time,
    isStr(node) ? node : defaults.node,
    isStr(source) ? source : (defaults.source ?? 'events'),
    process as unknown as ProcessInfo,
    cgroup,
    container,
    workload as unknown as WorkloadRef | undefined,
    v.enrichment === 'complete' ? 'complete' : 'partial',
    kind,
  );
  const err = setPayload(ev, v);
  if (err !== undefined) return err;
  return { ok: true, event: ev.event() };
}

function timeOf(t: unknown): number | undefined {
  if (typeof t === 'number') return Number.isFinite(t) && t > 0 ? t : undefined;
  if (!isStr(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** an invalid cgroup is dropped, not fatal; a numeric id becomes its decimal string */
function cgroupOf(c: unknown): CgroupRef | undefined {
  if (c === undefined || !isObj(c)) return undefined;
  if (c.path !== undefined && !isStr(c.path)) delete c.path;
  if (isInt(c.id)) c.id = String(c.id);
  else if (c.id !== undefined && !isStr(c.id)) delete c.id;
  return c as CgroupRef;
}

/** a container without an id is dropped; an unknown runtime is `unknown` */
function containerOf(c: unknown): ContainerRef | undefined {
  if (c === undefined || !isObj(c) || !isStr(c.id)) return undefined;
  if (!isStr(c.runtime) || !RUNTIMES.has(c.runtime)) c.runtime = 'unknown';
  return c as unknown as ContainerRef;
}

// Each case reads only its kind's fields: these reads see one or two shapes.
function setPayload(ev: EventRecord, v: Obj): DecodeResult | undefined {
  switch (ev.kind) {
    case 'exec':
      return undefined;
    case 'file_write': {
      const path = v.path;
      if (!isStr(path) || path === '') return fail('missing_field', 'file_write needs path');
      const op = v.op === undefined ? 'write' : v.op;
      if (!isStr(op) || !OPS.has(op)) return fail('bad_value', `file_write op must be one of ${FILE_OPS.join('|')}`);
      ev.path = path;
      ev.op = op as FileOp;
      const newPath = v.newPath;
      if (isStr(newPath)) ev.newPath = newPath;
      const flags = v.flags;
      if (flags !== undefined && strArray(flags)) ev.flags = flags as string[];
      const mode = v.mode;
      if (isInt(mode) && mode >= 0 && mode <= 0o7777) ev.mode = mode;
      return undefined;
    }
    case 'file_open': {
      const path = v.path;
      if (!isStr(path) || path === '') return fail('missing_field', 'file_open needs path');
      ev.path = path;
      const flags = v.flags;
      if (strArray(flags)) ev.flags = flags as string[];
      return undefined;
    }
    case 'listen': {
      const proto = v.proto === undefined ? 'tcp' : v.proto;
      if (!isStr(proto) || !PROTOS.has(proto)) return fail('bad_value', 'listen proto must be tcp|udp|unix|raw');
      const port = v.port;
      if (!isPort(port)) return fail('missing_field', 'listen needs port 0-65535');
      const addr = v.addr;
      ev.proto = proto as Proto;
      ev.addr = isStr(addr) ? addr : '0.0.0.0';
      ev.port = port;
      return undefined;
    }
    case 'connect': {
      const proto = v.proto === undefined ? 'tcp' : v.proto;
      if (!isStr(proto) || !PROTOS.has(proto)) return fail('bad_value', 'connect proto must be tcp|udp|unix|raw');
      const dstAddr = v.dstAddr;
      if (!isStr(dstAddr) || dstAddr === '') return fail('missing_field', 'connect needs dstAddr');
      const dstPort = v.dstPort;
      if (!isPort(dstPort)) return fail('missing_field', 'connect needs dstPort 0-65535');
      const dns = v.dns;
      ev.proto = proto as Proto;
      ev.dstAddr = dstAddr;
      ev.dstPort = dstPort;
      if (isStr(dns)) ev.dns = dns;
      return undefined;
    }
    case 'syscall': {
      const names = v.names;
      if (!Array.isArray(names) || names.length === 0 || !strArray(names)) return fail('missing_field', 'syscall needs names: non-empty array of strings');
      ev.names = names as string[];
      if (v.aggregated === true) ev.aggregated = true;
      return undefined;
    }
  }
}
