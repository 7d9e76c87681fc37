// Tetragon JSON export (one object per line, one event key per object) → RuntimeEvent.
// Pod metadata Tetragon already resolved is kept: ev.container and ev.workload are
// filled here, so enrichment only has to fill what Tetragon did not know.
import type {
  Ancestor,
  ContainerRef,
  Payload,
  ProcessInfo,
  RuntimeEvent,
  WorkloadRef,
} from '../../event.ts';
import { appendArgs } from './argv.ts';
import { parseTime } from './time.ts';
import type { JsonDecodeResult } from './jsonl.ts';
import { imageDigest, parseContainerUri, podWorkload } from './k8s.ts';
import { StringMemo } from './memo.ts';
import { callOf, mapCall } from './calls.ts';
import { int, isObj, str, type Obj } from './values.ts';

export const SOURCE = 'tetragon';

/** `dropped` carries the count of a rate_limit_info record (events Tetragon dropped) */
export type DecodeResult = JsonDecodeResult;


function fail(reason: string, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}
const none = (): DecodeResult => ({ ok: true, events: [] });

/** Event keys that carry a process and may turn into RuntimeEvents. */
const PROCESS_KEYS = new Set(['process_exec', 'process_kprobe', 'process_tracepoint', 'process_lsm', 'process_exit', 'process_uprobe']);
/** Known keys that carry no runtime activity of interest. */
const QUIET_KEYS = new Set(['process_throttle', 'process_loader', 'test', 'process_fork']);

export function decodeTetragon(v: unknown, defaultNode: string): DecodeResult {
  if (!isObj(v)) return fail('not_an_object', 'line is not a JSON object');
  // the event key comes first in Tetragon's output; walking the own keys is cheaper
  // than probing for each possible (absent) key
  let key: string | undefined;
  let body: unknown;
  for (const k in v) {
    if (PROCESS_KEYS.has(k)) {
      body = v[k];
      if (body === undefined) continue;
      key = k;
      break;
    }
  }
  if (key === undefined) {
    const rl = v.rate_limit_info;
    if (isObj(rl)) return { ok: true, events: [], dropped: int(rl.number_of_dropped_process_events) ?? 0 };
    for (const k of Object.keys(v)) if (QUIET_KEYS.has(k)) return none();
    return fail('unknown_event', `no known event key in ${Object.keys(v).slice(0, 5).join(',')}`);
  }
  if (!isObj(body)) return fail('bad_value', `${key} is not an object`);
  const p = body.process;
  if (!isObj(p)) return fail(p === undefined ? 'missing_field' : 'bad_value', `${key}.process missing or not an object`);
  let time = typeof v.time === 'string' ? parseTime(v.time) : NaN;
  // some exports (tetragon's own testdata) omit `time`: an exec happens at process start
  if (Number.isNaN(time) && key === 'process_exec' && typeof p.start_time === 'string') time = parseTime(p.start_time);
  // absent: missing_field; present but unreadable: bad_value (the reasons the docs give)
  if (Number.isNaN(time)) return fail(v.time === undefined && p.start_time === undefined ? 'missing_field' : 'bad_value', 'time missing or not RFC 3339');
  const proc = decodeProcess(p, body.parent, body.ancestors);
  if (typeof proc === 'string') return fail('missing_field', proc);

  let ev: RuntimeEvent | undefined;
  switch (key) {
    case 'process_exec':
      ev = { kind: 'exec', time, node: str(v.node_name) ?? defaultNode, source: SOURCE, process: proc, enrichment: 'partial' };
      break;
    case 'process_exit':
    case 'process_uprobe':
      return none(); // exits end a process, uprobes are app-specific: nothing to learn here
    case 'process_kprobe':
    case 'process_lsm': {
      const fn = str(body.function_name);
      if (!fn) return fail('missing_field', `${key}.function_name missing`);
      const name = key === 'process_lsm' && !fn.startsWith('security_') ? `security_${fn}` : fn;
      const payload = mapCall(callOf(name), Array.isArray(body.args) ? body.args : []);
      if (payload) ev = envelop(payload, time, str(v.node_name) ?? defaultNode, proc);
      break;
    }
    case 'process_tracepoint': {
      const tp = str(body.event);
      if (!tp) return fail('missing_field', 'process_tracepoint.event missing');
      const sub = str(body.subsys) ?? '';
      const sc = sub === 'syscalls' && tp.startsWith('sys_enter_')
        ? tp.slice(10)
        : sub === 'syscalls' && tp.startsWith('sys_exit_')
          ? tp.slice(9)
          : sub ? `${sub}:${tp}` : tp;
      ev = { kind: 'syscall', names: [sc], time, node: str(v.node_name) ?? defaultNode, source: SOURCE, process: proc, enrichment: 'partial' };
      break;
    }
  }
  if (!ev) return none();
  attachPod(ev, p);
  return { ok: true, events: [ev] };
}

/**
 * The event for a payload: one object literal per kind (payload fields first, then the
 * envelope), which V8 builds with every field in place; Object.assign onto the payload
 * cost a property-by-property copy into an out-of-object store on every event.
 */
function envelop(pl: Payload, time: number, node: string, process: ProcessInfo): RuntimeEvent {
  const enrichment = 'partial' as const;
  switch (pl.kind) {
    case 'file_write':
      return pl.newPath !== undefined
        ? { kind: 'file_write', path: pl.path, op: pl.op, newPath: pl.newPath, time, node, source: SOURCE, process, enrichment }
        : { kind: 'file_write', path: pl.path, op: pl.op, time, node, source: SOURCE, process, enrichment };
    case 'file_open':
      return { kind: 'file_open', path: pl.path, time, node, source: SOURCE, process, enrichment };
    case 'connect':
      return { kind: 'connect', proto: pl.proto, dstAddr: pl.dstAddr, dstPort: pl.dstPort, time, node, source: SOURCE, process, enrichment };
    case 'listen':
      return { kind: 'listen', proto: pl.proto, addr: pl.addr, port: pl.port, time, node, source: SOURCE, process, enrichment };
    case 'syscall':
      return { kind: 'syscall', names: pl.names, time, node, source: SOURCE, process, enrichment };
    case 'exec':
      return { kind: 'exec', time, node, source: SOURCE, process, enrichment };
  }
}

function decodeProcess(p: Obj, parent: unknown, ancestors: unknown): ProcessInfo | string {
  const exe = str(p.binary);
  if (!exe) return 'process.binary missing';
  const pid = int(p.pid);
  if (pid === undefined || pid < 0) return 'process.pid missing';
  const a = str(p.arguments);
  const args = a ? appendArgs(a, [exe]) : [exe];
  // protojson omits zero values: an absent uid is root
  const uid = int(p.uid) ?? 0;
  const cwd = str(p.cwd);
  let ppid: number | undefined;
  let anc: Ancestor[] | undefined;
  if (isObj(parent)) {
    ppid = int(parent.pid);
    const pa = ancestorOf(parent, ppid);
    if (pa) anc = [pa];
  }
  if (Array.isArray(ancestors)) {
    for (const x of ancestors) {
      const aa = isObj(x) ? ancestorOf(x, int(x.pid)) : undefined;
      if (aa) {
        if (anc) anc.push(aa);
        else anc = [aa];
      }
    }
  }
  // The usual shape as one literal, which V8 allocates with every field inside the
  // object; adding fields one by one spills them into a separate property store.
  if (cwd && ppid !== undefined && anc) return { pid, exe, args, uid, cwd, ppid, ancestors: anc };
  const out: ProcessInfo = { pid, exe, args, uid };
  if (cwd) out.cwd = cwd;
  if (ppid !== undefined) out.ppid = ppid;
  if (anc) out.ancestors = anc;
  return out;
}

// A parent's (often long) argument string repeats on every event of its children:
// keep its split words by exec_id. Copies go out, so events never share arrays
// (later stages such as redaction replace fields on event objects).
const CACHE_MAX = 4096;
const parentArgs = new StringMemo<string[]>(10, CACHE_MAX);

/** `pid` is int(p.pid), which the caller has read already */
function ancestorOf(p: Obj, pid: number | undefined): Ancestor | undefined {
  const exe = str(p.binary);
  if (!exe) return undefined;
  const a = str(p.arguments);
  const id = str(p.exec_id);
  let args: string[];
  if (!a) args = [exe];
  else if (!id) args = appendArgs(a, [exe]);
  else {
    let words = parentArgs.get(id);
    if (!words) {
      words = appendArgs(a, [exe]);
      parentArgs.set(id, words);
    }
    args = words.slice();
  }
  return pid !== undefined ? { exe, pid, args } : { exe, args };
}

interface PodInfo {
  container?: ContainerRef;
  workload?: WorkloadRef;
  complete: boolean;
}

// Pod metadata repeats on every event of a container: keep what was derived from it by
// container id (unique per container; a new image means a new container). Copied out.
const podCache = new StringMemo<PodInfo>(8, CACHE_MAX);

function attachPod(ev: RuntimeEvent, p: Obj): void {
  const pod = p.pod;
  let info: PodInfo | undefined;
  if (isObj(pod)) {
    const c = pod.container;
    const cid = isObj(c) ? str(c.id) : undefined;
    info = cid ? podCache.get(cid) : undefined;
    if (!info) {
      info = podInfo(pod);
      if (cid) podCache.set(cid, info);
    }
  } else if (str(p.docker)) {
    // a 24- or 31-char id prefix (length changed between versions): match by prefix
    info = { container: { id: p.docker as string, runtime: 'unknown' }, complete: false };
  }
  if (!info) return;
  if (info.container) ev.container = copyContainer(info.container);
  if (info.workload) {
    ev.workload = copyWorkload(info.workload);
    ev.enrichment = info.complete ? 'complete' : 'partial';
  }
}

// The copies of the usual (complete) shapes are written out as literals: a spread went
// through V8's generic clone stub on every event. Same fields, same order.
function copyContainer(c: ContainerRef): ContainerRef {
  if (c.name !== undefined && c.image !== undefined && c.imageDigest !== undefined)
    return { id: c.id, runtime: c.runtime, name: c.name, image: c.image, imageDigest: c.imageDigest };
  return { ...c };
}

function copyWorkload(w: WorkloadRef): WorkloadRef {
  if (w.namespace !== undefined && w.pod !== undefined && w.container !== undefined && w.image !== undefined && w.podUid !== undefined)
    return { id: w.id, namespace: w.namespace, kind: w.kind, name: w.name, pod: w.pod, container: w.container, image: w.image, podUid: w.podUid };
  return { ...w };
}

function podInfo(pod: Obj): PodInfo {
  let container: ContainerRef | undefined;
  if (isObj(pod.container) && str(pod.container.id)) {
    const c = pod.container;
    container = parseContainerUri(c.id as string);
    const name = str(c.name);
    if (name) container.name = name;
    if (isObj(c.image)) {
      const image = str(c.image.name);
      if (image) container.image = image;
      const digest = imageDigest(str(c.image.id));
      if (digest) container.imageDigest = digest;
    }
  }
  const ns = str(pod.namespace);
  const name = str(pod.name);
  if (!ns || !name) return { container, complete: false };
  const labels = isObj(pod.pod_labels) ? (pod.pod_labels as Record<string, string>) : undefined;
  const { ref, kindKnown } = podWorkload({
    namespace: ns,
    pod: name,
    labels,
    workload: str(pod.workload),
    kind: str(pod.workload_kind),
    container,
  });
  const uid = str(pod.uid);
  if (uid) ref.podUid = uid;
  // Tetragon resolved the pod itself; only an inferred workload kind leaves room to refine
  return { container, workload: ref, complete: kindKnown && container !== undefined };
}
