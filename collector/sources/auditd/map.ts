// AuditEvent → RuntimeEvent. Kind by syscall name (not by rule key, so any rule set
// works): execve → exec; connect → connect; bind then listen → listen; write-opens,
// creat, rename, unlink, chmod → file_write; read-opens → file_open; anything else
// → syscall. Failed calls are dropped, except connect's EINPROGRESS. The audit
// record does not say TCP or UDP: replay assumes TCP, live mode asks /proc.
import { posix } from 'node:path';
import type { Envelope, FileOp, FileWritePayload, Payload, ProcessInfo, RuntimeEvent } from '../../event.ts';
import type { AuditEvent, AuditPath } from './group.ts';
import { parseHexInt } from './parse.ts';
import { openFlagNames } from '../../open-flags.ts';

const O_CREAT_TRUNC_WRONLY = 0o1101;
const O_WRONLY_TRUNC = 0o1001;
import { decodeSockaddr, type SockAddr } from './sockaddr.ts';
import { syscallName } from './syscalls.ts';

export const SOURCE = 'auditd';

const EINPROGRESS = -115;
/** AT_FDCWD (-100) as the kernel prints it: 32 or 64 bits of two's complement */
const AT_FDCWD = /^(?:ffffffff)?ffffff9c$/i;
/** O_WRONLY | O_RDWR | O_CREAT | O_TRUNC */
const WRITE_FLAGS = 0x243;

type Bound = { proto: 'tcp' | 'unix'; addr: string; port: number };

export interface MapperOptions {
  /** live mode: find the real port of a listener bound to port 0 */
  listenPort?(pid: number, fd: number): number | undefined;
  /** live mode: tell UDP from TCP sockets (the audit record does not) */
  socketProto?(pid: number, fd: number, dstPort: number): 'tcp' | 'udp' | undefined;
}

export type MapOutcome = 'ok' | 'failed_call' | 'skipped';

export class Mapper {
  /** pid:fd → address from bind, consumed by listen (bounded, oldest evicted) */
  private readonly bound = new Map<string, Bound>();
  private static readonly MAX_BOUND = 8192;

  constructor(private readonly opts: MapperOptions = {}) {}

  /**
   * Append the RuntimeEvent(s) of one audit event to out. Returns 'failed_call'
   * for unsuccessful syscalls we do not report, 'skipped' when the event carries
   * nothing we map (e.g. netlink connect, bind waiting for listen).
   */
  map(ev: AuditEvent, nodeDefault: string, out: RuntimeEvent[]): MapOutcome {
    const sc = ev.syscall;
    if (!sc) return 'skipped';
    const name = syscallName(sc.arch, sc.nr);
    if (!sc.success && !(name === 'connect' && sc.exit === EINPROGRESS)) return 'failed_call';
    const env = this.envelope(ev, nodeDefault, name === 'execve' || name === 'execveat');
    switch (name) {
      case 'execve':
      case 'execveat':
        out.push(withPayload(env, { kind: 'exec' }));
        return 'ok';
      case 'connect': {
        const sa = ev.saddr ? decodeSockaddr(ev.saddr) : undefined;
        if (!sa) return pushSyscall(env, name, out);
        if (sa.family === 'inet' || sa.family === 'inet6') {
          const proto = this.opts.socketProto?.(sc.pid, parseHexInt(sc.a[0]) ?? -1, sa.port) ?? 'tcp';
          out.push(withPayload(env, { kind: 'connect', proto, dstAddr: sa.addr, dstPort: sa.port }));
          return 'ok';
        }
        if (sa.family === 'unix') {
          out.push(withPayload(env, { kind: 'connect', proto: 'unix', dstAddr: sa.path, dstPort: 0 }));
          return 'ok';
        }
        return 'skipped'; // netlink and friends: kernel plumbing, not egress
      }
      case 'bind': {
        const sa = ev.saddr ? decodeSockaddr(ev.saddr) : undefined;
        const b = sa ? bound(sa) : undefined;
        if (!b) return 'skipped';
        const k = `${sc.pid}:${parseHexInt(sc.a[0]) ?? -1}`;
        this.bound.delete(k);
        this.bound.set(k, b);
        if (this.bound.size > Mapper.MAX_BOUND) {
          const oldest = this.bound.keys().next().value;
          if (oldest !== undefined) this.bound.delete(oldest);
        }
        return 'skipped';
      }
      case 'listen': {
        const fd = parseHexInt(sc.a[0]) ?? -1;
        const k = `${sc.pid}:${fd}`;
        const b = this.bound.get(k);
        if (b) this.bound.delete(k);
        let port = b?.port ?? 0;
        if (port === 0 && b?.proto !== 'unix') port = this.opts.listenPort?.(sc.pid, fd) ?? 0;
        if (!b && port === 0) return pushSyscall(env, name, out);
        out.push(withPayload(env, { kind: 'listen', proto: b?.proto ?? 'tcp', addr: b?.addr ?? '0.0.0.0', port }));
        return 'ok';
      }
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const flags = name === 'open' ? parseHexInt(sc.a[1]) : name === 'openat' ? parseHexInt(sc.a[2]) : undefined;
        const created = findPath(ev.paths, 'CREATE');
        const target = created ?? lastNonParent(ev.paths);
        if (!target?.name) return pushSyscall(env, name, out);
        const path = resolve(target.name, ev.cwd, atFdcwd(name, sc.a[0]));
        const names = name === 'creat' ? openFlagNames(O_CREAT_TRUNC_WRONLY) : flags !== undefined ? openFlagNames(flags) : undefined;
        if (name === 'creat' || created) {
          out.push(withPayload(env, names ? { kind: 'file_write', path, op: 'create', flags: names } : { kind: 'file_write', path, op: 'create' }));
        } else if (flags === undefined || (flags & WRITE_FLAGS) !== 0) {
          out.push(withPayload(env, names ? { kind: 'file_write', path, op: 'write', flags: names } : { kind: 'file_write', path, op: 'write' }));
        } else {
          out.push(withPayload(env, { kind: 'file_open', path, flags: names ?? ['O_RDONLY'] }));
        }
        return 'ok';
      }
      case 'truncate': {
        // truncate(2) by path: a write that empties or cuts the file
        const p = lastNonParent(ev.paths);
        if (!p?.name) return pushSyscall(env, name, out);
        out.push(withPayload(env, { kind: 'file_write', path: resolve(p.name, ev.cwd, true), op: 'write', flags: openFlagNames(O_WRONLY_TRUNC) }));
        return 'ok';
      }
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        const from = findPath(ev.paths, 'DELETE');
        const to = findPath(ev.paths, 'CREATE');
        if (!from?.name) return pushSyscall(env, name, out);
        const cwdOk = atFdcwd(name, sc.a[0]);
        const fw = withPayload(env, { kind: 'file_write', path: resolve(from.name, ev.cwd, cwdOk), op: 'rename' } as FileWritePayload);
        if (to?.name) fw.newPath = resolve(to.name, ev.cwd, name === 'rename' || atFdcwd(name, sc.a[2]));
        out.push(fw);
        return 'ok';
      }
      case 'unlink':
      case 'unlinkat':
      case 'rmdir':
        return this.fileOp(env, ev, name, 'unlink', findPath(ev.paths, 'DELETE'), out);
      case 'chmod':
      case 'fchmodat':
      case 'fchmodat2': {
        const r = this.fileOp(env, ev, name, 'chmod', lastNonParent(ev.paths), out);
        // the new mode: a1 of chmod, a2 of the *at calls
        const mode = parseHexInt(name === 'chmod' ? sc.a[1] : sc.a[2]);
        const last = out[out.length - 1];
        if (r === 'ok' && last.kind === 'file_write' && mode !== undefined) last.mode = mode & 0o7777;
        return r;
      }
      default:
        return pushSyscall(env, name, out);
    }
  }

  private fileOp(env: Envelope, ev: AuditEvent, name: string, op: FileOp, p: AuditPath | undefined, out: RuntimeEvent[]): MapOutcome {
    if (!p?.name) return pushSyscall(env, name, out);
    out.push(withPayload(env, { kind: 'file_write', path: resolve(p.name, ev.cwd, atFdcwd(name, ev.syscall!.a[0])), op }));
    return 'ok';
  }

  private envelope(ev: AuditEvent, nodeDefault: string, isExec: boolean): Envelope {
    const sc = ev.syscall!;
    const title = ev.proctitle !== undefined ? ev.proctitle.split('\0') : undefined;
    const args = isExec && ev.args ? ev.args : (title ?? ev.args ?? (sc.comm !== undefined ? [sc.comm] : []));
    const proc: ProcessInfo = { pid: sc.pid, ppid: sc.ppid, exe: sc.exe ?? sc.comm ?? args[0] ?? '', args };
    if (!Number.isNaN(sc.uid)) proc.uid = sc.uid;
    if (ev.cwd !== undefined) proc.cwd = ev.cwd;
    const env: Envelope = { time: ev.timeMs, node: ev.node ?? nodeDefault, source: SOURCE, process: proc, enrichment: 'partial' };
    if (ev.cgroupPath !== undefined) env.cgroup = { path: ev.cgroupPath };
    return env;
  }
}

/** the envelope object becomes the event (one envelope per event, never shared) */
function withPayload<P extends Payload>(env: Envelope, p: P): Envelope & P {
  return Object.assign(env, p);
}

function pushSyscall(env: Envelope, name: string, out: RuntimeEvent[]): MapOutcome {
  out.push(withPayload(env, { kind: 'syscall', names: [name] }));
  return 'ok';
}

function bound(sa: SockAddr): Bound | undefined {
  if (sa.family === 'inet' || sa.family === 'inet6') return { proto: 'tcp', addr: sa.addr, port: sa.port };
  if (sa.family === 'unix') return { proto: 'unix', addr: sa.path, port: 0 };
  return undefined;
}

function findPath(paths: AuditPath[], nametype: string): AuditPath | undefined {
  for (let i = paths.length - 1; i >= 0; i--) if (paths[i].nametype === nametype) return paths[i];
  return undefined;
}

function lastNonParent(paths: AuditPath[]): AuditPath | undefined {
  for (let i = paths.length - 1; i >= 0; i--) if (paths[i].nametype !== 'PARENT') return paths[i];
  return undefined;
}

/** relative names are relative to the cwd only for the plain calls or *at(AT_FDCWD, …) */
function atFdcwd(name: string, dirfdHex: string): boolean {
  if (!name.endsWith('at') && !name.endsWith('at2')) return true;
  return AT_FDCWD.test(dirfdHex);
}

export function resolve(name: string, cwd: string | undefined, relativeToCwd: boolean): string {
  if (name.startsWith('/')) return posix.normalize(name);
  if (!relativeToCwd || cwd === undefined) return name;
  return posix.join(cwd, name);
}
