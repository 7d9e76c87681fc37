// RuntimeEvent — the only type that crosses pipeline stages.
// One envelope (who/where/when) plus a payload discriminated by `kind`,
// in the spirit of Tetragon's oneof and Vector's Event.

export const EVENT_KINDS = ['exec', 'file_write', 'file_open', 'listen', 'connect', 'syscall'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const FILE_OPS = ['create', 'write', 'rename', 'unlink', 'chmod'] as const;
export type FileOp = (typeof FILE_OPS)[number];

export type Proto = 'tcp' | 'udp' | 'unix' | 'raw';

export interface Ancestor {
  pid?: number;
  exe: string;
  args?: string[];
}

export interface ProcessInfo {
  pid: number;
  ppid?: number;
  /** absolute path of the executable when known, else the comm name */
  exe: string;
  /** argv including argv[0]; redacted by the pipeline right after enrichment, before any stage judges, stores or sends it */
  args: string[];
  uid?: number;
  cwd?: string;
  /**
   * exec events: the parent's name (comm) at this exec, as the kernel had it (bpftrace).
   * Attribution checks the parent it finds against it: a parent that exec'd since is not
   * named after what it became (collector/enrich/procs.ts).
   */
  parentComm?: string;
  /**
   * exec events: the parent's own parent (pid) at this exec, as the kernel had it
   * (bpftrace). Attribution builds the lineage through it when the process found under
   * the ppid has another parent now: adopted since its parent exited, or another process
   * holding a reused pid (collector/enrich/procs.ts). 0: the parent is a kernel thread's.
   */
  parentPpid?: number;
  /**
   * exec events: the parent is a fork that had not exec'd at this exec (a subshell): its
   * forker's image, in no exec record of its own (bpftrace, with parentPpid)
   */
  parentForked?: boolean;
  /** nearest parent first */
  ancestors?: Ancestor[];
}

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman' | 'unknown';

export interface ContainerRef {
  id: string;
  runtime: ContainerRuntime;
  name?: string;
  image?: string;
  imageDigest?: string;
}

export interface WorkloadRef {
  /** stable key: `namespace/kind/name` in Kubernetes, `host/cgroup/<path>` standalone */
  id: string;
  namespace?: string;
  kind: string;
  name: string;
  /** container name within the pod (or container id when no name is known) */
  container?: string;
  pod?: string;
  podUid?: string;
  image?: string;
  /** the pod's service account (Kubernetes, from the API) */
  serviceAccount?: string;
  /** the pod's labels (Kubernetes, from the API) */
  labels?: Readonly<Record<string, string>>;
}

export interface CgroupRef {
  /** cgroup v2 path relative to the unified mount, e.g. /kubepods.slice/... */
  path?: string;
  /** kernel cgroup id (inode of the cgroup directory), decimal string */
  id?: string;
}

export interface Envelope {
  /** epoch milliseconds */
  time: number;
  node: string;
  source: string;
  process: ProcessInfo;
  cgroup?: CgroupRef;
  // read-only once decoded: events of one container may share these objects (the events
  // source decodes a repeated envelope once, collector/sources/events/line-decoder.ts);
  // a stage that needs another workload or container assigns a new object
  container?: ContainerRef;
  workload?: WorkloadRef;
  enrichment: 'complete' | 'partial';
}

export interface ExecPayload {
  kind: 'exec';
}
export interface FileWritePayload {
  kind: 'file_write';
  path: string;
  op: FileOp;
  /** rename target */
  newPath?: string;
  /** open flags as names (O_WRONLY, O_CREAT, O_TRUNC…) when the write was an open or a truncate */
  flags?: string[];
  /** chmod: the new mode bits (permissions plus setuid 0o4000, setgid 0o2000, sticky 0o1000) */
  mode?: number;
}
export interface FileOpenPayload {
  kind: 'file_open';
  path: string;
  /** open flags as names, e.g. O_RDONLY */
  flags?: string[];
}
export interface ListenPayload {
  kind: 'listen';
  proto: Proto;
  addr: string;
  port: number;
  /** `pod` when addr is the pod's own address (Kubernetes enrichment): the same on every replica */
  peer?: string;
}
export interface ConnectPayload {
  kind: 'connect';
  proto: Proto;
  dstAddr: string;
  dstPort: number;
  /** name the destination was resolved from, when a source knows it */
  dns?: string;
  /**
   * the destination's Kubernetes identity, resolved by enrichment: `svc:namespace/name`
   * (a Service's ClusterIP, or an address of its EndpointSlices) or a pod's workload id
   * (`namespace/Kind/name`); baselines learn it instead of the address
   */
  peer?: string;
}
export interface SyscallPayload {
  kind: 'syscall';
  /** distinct syscall names seen in the interval */
  names: string[];
  /**
   * the source aggregated the calls over an interval (bpftrace: per container): the
   * process is the one that last made these calls in the interval, or pid 0 when the
   * source could not say which
   */
  aggregated?: boolean;
}

export type Payload =
  | ExecPayload
  | FileWritePayload
  | FileOpenPayload
  | ListenPayload
  | ConnectPayload
  | SyscallPayload;

export type RuntimeEvent = Envelope & Payload;

export type EventOf<K extends EventKind> = Envelope & Extract<Payload, { kind: K }>;

/**
 * Events of every kind in one hidden class: each payload field of every kind is
 * present, undefined where the kind has none. Every stage reads envelope fields (time,
 * kind, process, workload…) of every event; objects built per kind (or by JSON.parse)
 * have one shape per kind, and V8's inline caches track at most four shapes, so those
 * reads went through its slow megamorphic path. Built through this class they are plain
 * loads (the events replay ran 1.2–2.4% faster over 8 passes of bench/ab-replay.ts).
 * JSON output is the same: undefined fields are not written.
 */
export class EventRecord {
  // envelope first (JSON output reads in this order), then every payload field,
  // undefined where the kind has none: one field layout whatever the kind
  time: number;
  node: string;
  source: string;
  process: ProcessInfo;
  cgroup: CgroupRef | undefined;
  container: ContainerRef | undefined;
  workload: WorkloadRef | undefined;
  enrichment: 'complete' | 'partial';
  kind: EventKind;
  path: string | undefined = undefined;
  op: FileOp | undefined = undefined;
  newPath: string | undefined = undefined;
  flags: string[] | undefined = undefined;
  mode: number | undefined = undefined;
  proto: Proto | undefined = undefined;
  addr: string | undefined = undefined;
  port: number | undefined = undefined;
  dstAddr: string | undefined = undefined;
  dstPort: number | undefined = undefined;
  dns: string | undefined = undefined;
  peer: string | undefined = undefined;
  names: string[] | undefined = undefined;
  aggregated: boolean | undefined = undefined;

  constructor(
    time: number,
    node: string,
    source: string,
    process: ProcessInfo,
    cgroup: CgroupRef | undefined,
    container: ContainerRef | undefined,
    workload: WorkloadRef | undefined,
    enrichment: 'complete' | 'partial',
    kind: EventKind,
  ) {
    this.time = time;
    this.node = node;
    this.source = source;
    this.process = process;
    this.cgroup = cgroup;
    this.container = container;
    this.workload = workload;
    this.enrichment = enrichment;
    this.kind = kind;
  }

  /** the record as the event type the pipeline takes (its payload fields set for its kind) */
  event(): RuntimeEvent {
    return this as unknown as RuntimeEvent;
  }
}
