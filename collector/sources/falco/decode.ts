// Falco JSON alerts (json_output: true; file_output, stdout or http_output) →
// RuntimeEvent. Falco alerts are already rule hits: each one becomes one event of the
// kind its syscall implies, so habitwatch can learn and compare it like any other.
// output_fields only holds what the rule's output named, so every field is optional.
import type { Ancestor, ContainerRef, ContainerRuntime, FileOp, Payload, ProcessInfo, Proto, RuntimeEvent } from '../../event.ts';
import type { JsonDecodeResult } from '../tetragon/jsonl.ts';
import { podWorkload } from '../tetragon/k8s.ts';
import { parseTime } from '../tetragon/time.ts';

export const SOURCE = 'falco';

export interface FalcoDecodeOptions {
  /** node name used when the alert has none, or always when nodeFromEvent is false */
  node: string;
  /** take the node from evt.hostname/hostname (may be the Falco pod's name, not the node) */
  nodeFromEvent: boolean;
}

/** What the alert was: the rule hit and its priority (not part of RuntimeEvent). */
export interface FalcoOrigin {
  rule: string;
  priority?: string;
  source?: string;
  tags?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '<NA>' ? v : undefined);
const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return Number(v);
  return undefined;
};
const int = (v: unknown): number | undefined => {
  const n = num(v);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
};
const port = (v: unknown): number | undefined => {
  const n = int(v);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
};
const fail = (reason: string, detail: string): JsonDecodeResult => ({ ok: false, reason, detail });
const none = (): JsonDecodeResult => ({ ok: true, events: [] });

export function falcoOrigin(v: unknown): FalcoOrigin | undefined {
  if (!isObj(v) || typeof v.rule !== 'string') return undefined;
  const o: FalcoOrigin = { rule: v.rule };
  if (typeof v.priority === 'string') o.priority = v.priority;
  if (typeof v.source === 'string') o.source = v.source;
  if (Array.isArray(v.tags)) o.tags = v.tags.filter((t): t is string => typeof t === 'string');
  return o;
}

export function decodeFalco(v: unknown, opts: FalcoDecodeOptions): JsonDecodeResult {
  if (!isObj(v)) return fail('not_an_object', 'alert is not a JSON object');
  const rule = v.rule;
  if (typeof rule !== 'string') return fail(rule === undefined ? 'missing_field' : 'bad_value', 'rule missing or not a string');
  const f = v.output_fields === undefined ? {} : v.output_fields;
  if (!isObj(f)) return fail('bad_value', 'output_fields is not an object');
  const source = typeof v.source === 'string' ? v.source.toLowerCase() : undefined;

  if (source === 'internal' || rule.startsWith('Falco internal')) {
    // drops are reported as an internal alert; metrics snapshots carry nothing to learn
    if (/drop/i.test(rule) && !/metrics/i.test(rule)) {
      return { ok: true, events: [], dropped: num(f.n_drops) ?? num(f['scap.n_drops']) ?? 1 };
    }
    return none();
  }
  // plugin sources (k8s_audit, cloudtrail, okta…) are API events, not node runtime activity
  if (source !== undefined && source !== 'syscall') return none();

  let time = typeof v.time === 'string' ? parseTime(v.time) : NaN;
  if (Number.isNaN(time) && isObj(v.time)) {
    const s = num(v.time.seconds); // gRPC form {seconds, nanos}
    if (s !== undefined) time = s * 1000 + Math.floor((num(v.time.nanos) ?? 0) / 1e6);
  }
  if (Number.isNaN(time)) {
    const ns = num(f['evt.time']);
    if (ns !== undefined) time = Math.floor(ns / 1e6);
  }
  // absent: missing_field; present but unreadable: bad_value (the reasons the docs give)
  if (Number.isNaN(time)) return fail(v.time === undefined && f['evt.time'] === undefined ? 'missing_field' : 'bad_value', 'time missing or not readable');

  const proc = decodeProcess(f);
  if (!proc) return fail('missing_field', 'no process fields (proc.exepath/proc.name/proc.cmdline)');

  const payload = mapPayload(f);
  const ev = {
    time,
    node: (opts.nodeFromEvent && (str(f['evt.hostname']) ?? str(v.hostname))) || opts.node,
    source: SOURCE,
    process: proc,
    enrichment: 'partial',
    ...payload,
  } as RuntimeEvent;
  attachContainer(ev, f);
  return { ok: true, events: [ev] };
}

function decodeProcess(f: Obj): ProcessInfo | undefined {
  const cmdline = str(f['proc.cmdline']);
  const words = cmdline ? cmdline.split(' ').filter((w) => w !== '') : [];
  const name = str(f['proc.name']) ?? words[0];
  const exe = str(f['proc.exepath']) ?? str(f['proc.exe']) ?? name;
  if (!exe) return undefined;
  // Falco joins argv with single spaces and does not quote: the split is approximate
  let args: string[];
  const a = str(f['proc.args']);
  if (a !== undefined) args = [name ?? exe, ...a.split(' ').filter((w) => w !== '')];
  else args = words.length > 0 ? words : [exe];
  const p: ProcessInfo = { pid: int(f['proc.pid']) ?? int(f['thread.tid']) ?? 0, exe, args };
  const ppid = int(f['proc.ppid']);
  if (ppid !== undefined) p.ppid = ppid;
  const uid = int(f['user.uid']);
  if (uid !== undefined && uid >= 0) p.uid = uid;
  const cwd = str(f['proc.cwd']);
  if (cwd) p.cwd = cwd;
  const anc: Ancestor[] = [];
  const pexe = str(f['proc.pexepath']) ?? str(f['proc.pexe']) ?? str(f['proc.pname']) ?? str(f['proc.aname[1]']);
  if (pexe) {
    const pa: Ancestor = { exe: pexe };
    if (ppid !== undefined) pa.pid = ppid;
    const pc = str(f['proc.pcmdline']);
    if (pc) pa.args = pc.split(' ').filter((w) => w !== '');
    anc.push(pa);
  }
  for (let i = 2; i < 10; i++) {
    const n = str(f[`proc.aname[${i}]`]);
    if (!n) break;
    const x: Ancestor = { exe: n };
    const pid = int(f[`proc.apid[${i}]`]);
    if (pid !== undefined) x.pid = pid;
    anc.push(x);
  }
  if (anc.length > 0) p.ancestors = anc;
  return p;
}

const RUNTIMES: Record<string, ContainerRuntime> = { containerd: 'containerd', 'cri-o': 'cri-o', docker: 'docker', podman: 'podman' };

function attachContainer(ev: RuntimeEvent, f: Obj): void {
  const id = str(f['container.id']);
  let container: ContainerRef | undefined;
  if (id && id !== 'host') {
    // Falco shortens ids to 12 chars (full in container.full_id): match by prefix
    container = { id: str(f['container.full_id']) ?? id, runtime: RUNTIMES[str(f['container.type']) ?? ''] ?? 'unknown' };
    const name = str(f['container.name']);
    if (name) container.name = name;
    const repo = str(f['container.image.repository']);
    const tag = str(f['container.image.tag']);
    const image = str(f['container.image']) ?? (repo ? (tag ? `${repo}:${tag}` : repo) : undefined);
    if (image) container.image = image;
    const digest = str(f['container.image.digest']);
    if (digest) container.imageDigest = digest;
    ev.container = container;
  }
  const ns = str(f['k8s.ns.name']);
  const pod = str(f['k8s.pod.name']);
  if (!ns || !pod) return;
  // older Falco (with the k8s metadata client) can name the owner directly
  const owners: [string, string][] = [
    ['k8s.deployment.name', 'Deployment'],
    ['k8s.statefulset.name', 'StatefulSet'],
    ['k8s.daemonset.name', 'DaemonSet'],
    ['k8s.job.name', 'Job'],
  ];
  let kind: string | undefined;
  let workload: string | undefined;
  for (const [k, kk] of owners) {
    const n = str(f[k]);
    if (n) {
      kind = kk;
      workload = n;
      break;
    }
  }
  const { ref } = podWorkload({ namespace: ns, pod, workload, kind, container });
  const podUid = str(f['k8s.pod.uid']);
  if (podUid) ref.podUid = podUid;
  ev.workload = ref;
}

// ---- evt.type → payload ----

const OPEN_WRITE = 0x1 | 0x2 | 0x40 | 0x200;

function openIsWrite(f: Obj): boolean | undefined {
  if (typeof f['evt.is_open_write'] === 'boolean') return f['evt.is_open_write'] as boolean;
  const flags = str(f['evt.arg.flags']) ?? str(f['evt.arg[2]']);
  if (flags && /O_(WRONLY|RDWR|CREAT|TRUNC)/.test(flags)) return true;
  if (flags && /O_RDONLY/.test(flags)) return false;
  const raw = num(f['evt.rawarg.flags']);
  if (raw !== undefined) return (raw & OPEN_WRITE) !== 0;
  return undefined;
}

/** `a:1->b:2` → {addr,port} of one side; handles `[v6]:port` and bare v6 `::1:443` */
export function parseEndpoint(s: string): { addr: string; port: number } | undefined {
  const m = /^\[(.*)\]:(\d{1,5})$/.exec(s) ?? /^(.*):(\d{1,5})$/.exec(s);
  if (!m || m[1] === '') return undefined;
  const port = Number(m[2]);
  return port <= 65535 ? { addr: m[1], port } : undefined;
}

function serverSide(fdName: string | undefined): { addr: string; port: number } | undefined {
  if (!fdName) return undefined;
  const i = fdName.indexOf('->');
  return parseEndpoint(i >= 0 ? fdName.slice(i + 2) : fdName);
}

function protoOf(f: Obj): Proto {
  const p = (str(f['fd.l4proto']) ?? '').toLowerCase();
  if (p === 'udp') return 'udp';
  if (p === 'raw' || p === 'icmp') return 'raw';
  const t = str(f['fd.type']) ?? str(f['fd.typechar']);
  if (t === 'unix' || t === 'u') return 'unix';
  return 'tcp';
}

function pathOf(f: Obj, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = str(f[k]);
    if (v) return v;
  }
  return undefined;
}

function fw(path: string | undefined, op: FileOp, newPath?: string): Payload | undefined {
  if (!path) return undefined;
  return newPath ? { kind: 'file_write', path, op, newPath } : { kind: 'file_write', path, op };
}

function connectPayload(f: Obj): Payload | undefined {
  const fdName = str(f['fd.name']);
  const proto = protoOf(f);
  if (proto === 'unix' || fdName?.startsWith('/')) {
    return fdName ? { kind: 'connect', proto: 'unix', dstAddr: fdName, dstPort: 0 } : undefined;
  }
  const rip = str(f['fd.rip']) ?? str(f['fd.sip']);
  const rport = port(f['fd.rport']) ?? port(f['fd.sport']);
  const ep = rip && rport !== undefined ? { addr: rip, port: rport } : serverSide(fdName);
  return ep ? { kind: 'connect', proto, dstAddr: ep.addr, dstPort: ep.port } : undefined;
}

function listenPayload(f: Obj): Payload | undefined {
  const ip = str(f['fd.lip']) ?? str(f['fd.sip']);
  const lport = port(f['fd.lport']) ?? port(f['fd.sport']);
  const ep = ip && lport !== undefined ? { addr: ip, port: lport } : serverSide(str(f['fd.name']));
  return ep ? { kind: 'listen', proto: protoOf(f), addr: ep.addr, port: ep.port } : undefined;
}

function mapPayload(f: Obj): Payload {
  const t = str(f['evt.type']);
  const fdName = str(f['fd.name']);
  let p: Payload | undefined;
  switch (t) {
    case 'execve':
    case 'execveat':
      return { kind: 'exec' };
    case 'open':
    case 'openat':
    case 'openat2':
    case 'open_by_handle_at':
    case 'creat': {
      const path = pathOf(f, 'fd.name', 'evt.arg.name', 'evt.arg.path', 'fs.path.name');
      if (path) p = t === 'creat' || openIsWrite(f) ? fw(path, 'write') : { kind: 'file_open', path };
      break;
    }
    case 'write':
    case 'pwrite':
    case 'writev':
    case 'pwritev':
      if (fdName?.startsWith('/')) p = fw(fdName, 'write');
      break;
    case 'rename':
    case 'renameat':
    case 'renameat2':
      p = fw(pathOf(f, 'evt.arg.oldpath', 'fs.path.source', 'fd.name'), 'rename', pathOf(f, 'evt.arg.newpath', 'fs.path.target'));
      break;
    case 'unlink':
    case 'unlinkat':
      p = fw(pathOf(f, 'evt.arg.name', 'evt.arg.path', 'fs.path.name', 'fd.name'), 'unlink');
      break;
    case 'chmod':
    case 'fchmod':
    case 'fchmodat':
      p = fw(pathOf(f, 'evt.arg.filename', 'evt.arg.path', 'fs.path.name', 'fd.name'), 'chmod');
      break;
    case 'connect':
    case 'sendto':
    case 'sendmsg':
      p = connectPayload(f);
      break;
    case 'listen':
    case 'bind':
      p = listenPayload(f);
      break;
    case undefined:
      // the rule's output did not name evt.type: judge by what it did name. A
      // connection tuple means a connection; a path means a file; otherwise the
      // process fields alone come from a spawned_process (execve) rule.
      if (fdName && fdName.includes('->')) p = connectPayload(f);
      else if (fdName?.startsWith('/')) p = { kind: 'file_open', path: fdName };
      else p = { kind: 'exec' };
      break;
  }
  return p ?? { kind: 'syscall', names: [t ?? 'unknown'] };
}
