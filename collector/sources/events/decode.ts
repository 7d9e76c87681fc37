// Validates one normalised JSON event (docs/events.md) into a RuntimeEvent.
// Returns a reason token instead of throwing, so callers count and move on: a required
// field that is absent is `missing_field`, one that is present but unusable `bad_value`.
//
// The normalised form is the RuntimeEvent shape. Keys the format does not define are
// dropped at every level: the top level is rebuilt as an EventRecord (collector/event.ts),
// one hidden class for every kind, reading each field of the parsed object once; the
// process and each ancestor are rebuilt with their known keys; a workload, container or
// cgroup is kept as parsed when it holds only known keys (so the line decoder can share
// it, frozen, between the events of a container), else rebuilt.
import {
  EVENT_KINDS,
  type Ancestor,
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

/** absent: missing_field; present but wrong: bad_value (the reason docs/events.md names) */
const absentOr = (v: unknown): string => (v === undefined ? 'missing_field' : 'bad_value');

function strArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** an ancestor with only the keys the format defines (exe, pid, args); undefined if unusable */
function ancestorOf(a: Obj): Ancestor {
  const out: Ancestor = { exe: a.exe as string };
  if (isInt(a.pid)) out.pid = a.pid;
  if (a.args !== undefined && strArray(a.args)) out.args = a.args as string[];
  return out;
}

/** usable (has an exe) and holds only the keys the format defines, each of the right type */
function cleanAncestor(a: unknown): boolean {
  if (!isObj(a) || !isStr(a.exe)) return false;
  for (const k in a) {
    if (k === 'exe') continue;
    if (k === 'pid' ? !isInt(a.pid) : k !== 'args' || !strArray(a.args)) return false;
  }
  return true;
}

// Unknown keys of each ancestor are dropped (they reached alerts unredacted), an ancestor
// without an exe is left out. Clean ancestors (the common case) are kept as parsed: no
// copy per event. Loops, not .map(): no callback per event.
function ancestorsOf(anc: unknown[]): Ancestor[] {
  let i = 0;
  while (i < anc.length && cleanAncestor(anc[i])) i++;
  if (i === anc.length) return anc as Ancestor[];
  const out: Ancestor[] = (anc as Ancestor[]).slice(0, i);
  for (; i < anc.length; i++) {
    const a = anc[i];
    if (isObj(a) && isStr(a.exe)) out.push(ancestorOf(a));
  }
  return out;
}

// Why the last processOf/workloadOf failed (module state instead of a result object:
// these run for every event, and a wrapper per call is an allocation per event).
let whyReason = '';
let whyDetail = '';
function refuse(reason: string, detail: string): undefined {
  whyReason = reason;
  whyDetail = detail;
  return undefined;
}

/** does the process hold only the keys the format defines, each optional one of the right type? */
function cleanProcess(p: Obj): boolean {
  for (const k in p) {
    switch (k) {
      case 'pid':
      case 'exe':
      case 'args':
        continue;
      case 'ppid':
      case 'uid':
        if (isInt(p[k])) continue;
        return false;
      case 'cwd':
      case 'parentComm':
        if (isStr(p[k])) continue;
        return false;
      case 'ancestors':
        if (Array.isArray(p.ancestors)) continue;
        return false;
      default:
        return false;
    }
  }
  return true;
}

/** The process with only the keys the format defines; optional fields of a wrong type dropped. */
function processOf(p: unknown): ProcessInfo | undefined {
  if (!isObj(p)) return refuse(absentOr(p), 'process must be an object with pid and exe');
  // every field read once
  const pid = p.pid;
  const exe = p.exe;
  const args = p.args;
  const ppid = p.ppid;
  const uid = p.uid;
  const cwd = p.cwd;
  const parentComm = p.parentComm;
  const anc = p.ancestors;
  if (!isInt(pid) || pid < 0) return refuse(absentOr(pid), 'process.pid must be a non-negative integer');
  if (!isStr(exe) || exe === '') return refuse(absentOr(exe), 'process.exe must be a non-empty string');
  if (args !== undefined && !strArray(args)) return refuse('bad_value', 'process.args must be an array of strings');
  if (cleanProcess(p)) {
    // only known keys, each of the right type (the common case): kept as parsed, no copy per event
    if (args === undefined) p.args = [];
    if (anc !== undefined) {
      const a = ancestorsOf(anc as unknown[]);
      if (a !== anc) p.ancestors = a;
    }
    return p as unknown as ProcessInfo;
  }
  const out: ProcessInfo = { pid, exe, args: (args as string[] | undefined) ?? [] };
  if (isInt(ppid)) out.ppid = ppid;
  if (isInt(uid)) out.uid = uid;
  if (isStr(cwd)) out.cwd = cwd;
  if (isStr(parentComm)) out.parentComm = parentComm;
  if (Array.isArray(anc)) out.ancestors = ancestorsOf(anc);
  return out;
}

const WORKLOAD_STRINGS = ['namespace', 'container', 'pod', 'podUid', 'image'] as const;
const WORKLOAD_KEYS = new Set(['id', 'kind', 'name', ...WORKLOAD_STRINGS]);
const CONTAINER_KEYS = new Set(['id', 'runtime', 'name', 'image', 'imageDigest']);

/** only these keys, each a string (a repeated envelope is then shared as parsed: line-decoder.ts) */
function onlyStrings(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k) || typeof o[k] !== 'string') return false;
  return true;
}

/** a copy with the known string keys only */
function pickStrings<T>(o: Obj, keys: ReadonlySet<string>): T {
  const out: Obj = {};
  for (const k of keys) if (isStr(o[k])) out[k] = o[k];
  return out as T;
}

/** The workload with only the keys the format defines, optional strings of a wrong type dropped; null: refused. */
function workloadOf(w: unknown): WorkloadRef | undefined | null {
  if (w === undefined) return undefined;
  // decoded before and shared, read-only (line-decoder.ts): already clean (only our own
  // objects are frozen: JSON.parse never makes one; Object.isFrozen is true of primitives)
  if (typeof w === 'object' && w !== null && Object.isFrozen(w)) return w as WorkloadRef;
  if (!isObj(w)) return refuse('bad_value', 'workload must be an object with id, kind and name') ?? null;
  for (const k of ['id', 'kind', 'name'] as const) {
    if (!isStr(w[k])) return refuse(absentOr(w[k]), 'workload needs id, kind and name (strings)') ?? null;
  }
  return onlyStrings(w, WORKLOAD_KEYS) ? (w as unknown as WorkloadRef) : pickStrings<WorkloadRef>(w, WORKLOAD_KEYS);
}

export function decodeEvent(v: unknown, defaults: { node: string; source?: string }): DecodeResult {
  if (!isObj(v)) return fail('not_an_object', 'event must be a JSON object');
  // every field of the parsed object is read once, here: its shape differs by kind, so
  // each read is a slow (megamorphic) one; the record built below has one shape
  const kindIn = v.kind;
  if (!isStr(kindIn)) return fail(absentOr(kindIn), 'kind must be a string');
  const kind = KINDS.get(kindIn);
  if (kind === undefined) return fail('unknown_kind', `unknown kind ${JSON.stringify(kindIn).slice(0, 40)}`);
  const timeIn = v.time;
  const time = timeOf(timeIn);
  if (time === undefined) return fail(absentOr(timeIn), 'time must be epoch ms (a positive finite number) or an ISO 8601 string');
  const process = processOf(v.process);
  if (process === undefined) return fail(whyReason, whyDetail);
  const node = v.node;
  const source = v.source;
  const cgroup = cgroupOf(v.cgroup);
  const container = containerOf(v.container);
  const workload = workloadOf(v.workload);
  if (workload === null) return fail(whyReason, whyDetail);
  const ev = new EventRecord(
    time,
    isStr(node) ? node : defaults.node,
    isStr(source) ? source : (defaults.source ?? 'events'),
    process,
    cgroup,
    container,
    workload,
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

/** an invalid cgroup is dropped, not fatal; a numeric id becomes its decimal string; other keys dropped */
const CGROUP_KEYS = new Set(['path', 'id']);
function cgroupOf(c: unknown): CgroupRef | undefined {
  if (c === undefined || !isObj(c)) return undefined;
  if (onlyStrings(c, CGROUP_KEYS)) return c as CgroupRef; // clean: kept as parsed
  const out: CgroupRef = {};
  if (isStr(c.path)) out.path = c.path;
  if (isInt(c.id)) out.id = String(c.id);
  else if (isStr(c.id)) out.id = c.id;
  return out;
}

/** a container without an id is dropped; an unknown runtime is `unknown`; other keys dropped */
function containerOf(c: unknown): ContainerRef | undefined {
  if (typeof c === 'object' && c !== null && Object.isFrozen(c)) return c as ContainerRef; // shared, read-only (line-decoder.ts): already clean
  if (!isObj(c) || !isStr(c.id)) return undefined;
  const clean = onlyStrings(c, CONTAINER_KEYS) ? c : pickStrings<Obj>(c, CONTAINER_KEYS);
  if (!isStr(clean.runtime) || !RUNTIMES.has(clean.runtime)) clean.runtime = 'unknown';
  return clean as unknown as ContainerRef;
}

// Each case reads only its kind's fields: these reads see one or two shapes.
function setPayload(ev: EventRecord, v: Obj): DecodeResult | undefined {
  switch (ev.kind) {
    case 'exec':
      return undefined;
    case 'file_write': {
      const path = v.path;
      if (!isStr(path) || path === '') return fail(absentOr(path), 'file_write needs path (a non-empty string)');
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
      if (!isStr(path) || path === '') return fail(absentOr(path), 'file_open needs path (a non-empty string)');
      ev.path = path;
      const flags = v.flags;
      if (strArray(flags)) ev.flags = flags as string[];
      return undefined;
    }
    case 'listen': {
      const proto = v.proto === undefined ? 'tcp' : v.proto;
      if (!isStr(proto) || !PROTOS.has(proto)) return fail('bad_value', 'listen proto must be tcp|udp|unix|raw');
      const port = v.port;
      if (!isPort(port)) return fail(absentOr(port), 'listen needs port 0-65535');
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
      if (!isStr(dstAddr) || dstAddr === '') return fail(absentOr(dstAddr), 'connect needs dstAddr (a non-empty string)');
      const dstPort = v.dstPort;
      if (!isPort(dstPort)) return fail(absentOr(dstPort), 'connect needs dstPort 0-65535');
      const dns = v.dns;
      ev.proto = proto as Proto;
      ev.dstAddr = dstAddr;
      ev.dstPort = dstPort;
      if (isStr(dns)) ev.dns = dns;
      return undefined;
    }
    case 'syscall': {
      const names = v.names;
      if (!Array.isArray(names) || names.length === 0 || !strArray(names)) return fail(absentOr(names), 'syscall needs names: non-empty array of strings');
      ev.names = names as string[];
      if (v.aggregated === true) ev.aggregated = true;
      return undefined;
    }
  }
}
