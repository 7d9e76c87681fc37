// Tetragon kprobe / lsm events → payload: what a traced kernel function and its
// arguments mean (a connect, a listen, a file write or open, else a named call).
import type { FileOp, Payload, Proto } from '../../event.ts';
import { int, isObj, str, type Obj } from './values.ts';

const SYSCALL_PREFIX = /^(?:__x64_|__arm64_|__ia32_|__se_|__do_|ksys_)?sys_/;
const OPEN_WRITE = 0x1 | 0x2 | 0x40 | 0x200; // O_WRONLY | O_RDWR | O_CREAT | O_TRUNC (x86_64, arm64)
const MAY_WRITE = 0x2;
const MAY_APPEND = 0x8;

/** Pick the n-th argument carrying `key` (args are one-of objects). */
function argOf(args: unknown[], key: string, n = 0): unknown {
  for (const a of args) {
    if (isObj(a) && a[key] !== undefined) {
      if (n === 0) return a[key];
      n--;
    }
  }
  return undefined;
}

function pathArg(args: unknown[], n = 0): string | undefined {
  let seen = 0;
  for (const a of args) {
    if (!isObj(a)) continue;
    let p: string | undefined;
    if (isObj(a.file_arg)) p = str(a.file_arg.path);
    else if (isObj(a.path_arg)) p = str(a.path_arg.path);
    else if (typeof a.string_arg === 'string') p = a.string_arg;
    else if (isObj(a.linux_binprm_arg)) p = str(a.linux_binprm_arg.path);
    if (p === undefined || p === '') continue;
    if (seen++ === n) return p.startsWith('/') ? p : `/${p}`; // old versions drop the leading slash
  }
  return undefined;
}

function protoOf(s: Obj, fn: string): Proto {
  const pr = str(s.protocol) ?? '';
  if (pr.includes('UDP')) return 'udp';
  if (pr.includes('TCP')) return 'tcp';
  const t = str(s.type) ?? '';
  if (t.includes('DGRAM')) return 'udp';
  if (t.includes('RAW')) return 'raw';
  return fn.includes('udp') ? 'udp' : 'tcp';
}

function fileWrite(path: string | undefined, op: FileOp, newPath?: string): Payload | undefined {
  if (!path) return undefined;
  return newPath ? { kind: 'file_write', path, op, newPath } : { kind: 'file_write', path, op };
}

/**
 * What a kprobe/lsm function name can map to. It depends on the name alone, so it is
 * worked out (a dozen regex tests and substring searches) once per function name
 * rather than once per event; the arguments then decide among the candidates.
 */
interface CallShape {
  fn: string;
  /** the name without a syscall wrapper prefix (`__x64_sys_openat` → `openat`) */
  sys: string;
  connect: boolean;
  listen: boolean;
  permission: boolean;
  install: boolean;
  open: boolean;
  write: boolean;
  read: boolean;
  unlink: boolean;
  rename: boolean;
  chmod: boolean;
  /** the named call an unmapped event becomes */
  fallback: string;
}

function shapeOf(fn: string): CallShape {
  const sys = fn.replace(SYSCALL_PREFIX, '');
  return {
    fn,
    sys,
    connect: fn.includes('connect'),
    listen: fn.includes('listen') || fn.includes('bind'),
    // security_mmap_file was read here too but never mapped: it stays a named call
    permission: fn === 'security_file_permission',
    install: fn === 'fd_install' || fn === 'security_file_open' || fn === 'do_filp_open',
    open: /^(?:open|openat|openat2|creat)$/.test(sys) || fn === 'do_sys_open' || fn === 'do_sys_openat2',
    write: /^(?:p?writev?|pwrite64|pwritev2)$/.test(sys) || fn === 'vfs_write' || fn === 'security_file_write',
    read: /^(?:p?readv?|pread64|preadv2)$/.test(sys) || fn === 'vfs_read',
    unlink: /^unlink(?:at)?$/.test(sys) || fn === 'security_path_unlink' || fn === 'vfs_unlink' || fn === 'do_unlinkat',
    rename: /^rename(?:at2?)?$/.test(sys) || fn === 'security_path_rename' || fn === 'vfs_rename',
    chmod: /^f?chmod(?:at2?)?$/.test(sys) || fn === 'security_path_chmod',
    // syscall wrappers lose their arch prefix
    fallback: sys !== fn ? sys : fn,
  };
}

// Function names come from the loaded tracing policies: a handful per node.
const SHAPES_MAX = 4096;
const shapes = new Map<string, CallShape>();

export function callOf(fn: string): CallShape {
  let s = shapes.get(fn);
  if (!s) {
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    s = shapeOf(fn);
    shapes.set(fn, s);
  }
  return s;
}

export function mapCall(c: CallShape, args: unknown[]): Payload | undefined {
  const fn = c.fn;
  if (c.connect) {
    const s = argOf(args, 'sock_arg');
    if (isObj(s)) {
      const addr = str(s.daddr);
      const port = addr ? int(s.dport) : undefined;
      if (addr && port !== undefined) return { kind: 'connect', proto: protoOf(s, fn), dstAddr: addr, dstPort: port };
    }
    const sa = argOf(args, 'sockaddr_arg');
    if (isObj(sa)) {
      const addr = str(sa.addr);
      const port = addr ? int(sa.port) : undefined;
      if (addr && port !== undefined) return { kind: 'connect', proto: fn.includes('udp') ? 'udp' : 'tcp', dstAddr: addr, dstPort: port };
    }
  }
  if (c.listen) {
    const s = argOf(args, 'sock_arg');
    if (isObj(s)) {
      const port = int(s.sport);
      if (port !== undefined) return { kind: 'listen', proto: protoOf(s, fn), addr: str(s.saddr) ?? '0.0.0.0', port };
    }
    const sa = argOf(args, 'sockaddr_arg');
    if (isObj(sa)) {
      const port = int(sa.port);
      if (port !== undefined) return { kind: 'listen', proto: 'tcp', addr: str(sa.addr) ?? '0.0.0.0', port };
    }
  }
  if (c.permission) {
    const path = pathArg(args);
    if (path) {
      const mask = int(argOf(args, 'int_arg')) ?? 0;
      return mask & (MAY_WRITE | MAY_APPEND) ? fileWrite(path, 'write') : { kind: 'file_open', path };
    }
  }
  if (c.install) {
    const path = pathArg(args);
    if (path) {
      const f = argOf(args, 'file_arg');
      const flags = isObj(f) ? (str(f.flags) ?? '') : '';
      return /WRONLY|RDWR|CREAT|TRUNC/.test(flags) ? fileWrite(path, 'write') : { kind: 'file_open', path };
    }
  }
  if (c.open) {
    const path = pathArg(args);
    if (path) {
      // flags are the int after the path (openat: dfd, path, flags)
      let first: number | undefined;
      let second: number | undefined;
      for (const a of args) {
        if (!isObj(a) || a.int_arg === undefined) continue;
        const n = int(a.int_arg) ?? 0;
        if (first === undefined) first = n;
        else {
          second = n;
          break;
        }
      }
      const flags = c.sys === 'creat' ? 0x41 : c.sys === 'open' ? (first ?? 0) : (second ?? first ?? 0);
      return flags & OPEN_WRITE ? fileWrite(path, 'write') : { kind: 'file_open', path };
    }
  }
  if (c.write) {
    const path = pathArg(args);
    if (path) return fileWrite(path, 'write');
  }
  if (c.read) {
    const path = pathArg(args);
    if (path) return { kind: 'file_open', path }; // a read of a named file: the sensitive-read signal
  }
  if (c.unlink) {
    const path = pathArg(args);
    if (path) return fileWrite(path, 'unlink');
  }
  if (c.rename) {
    const from = pathArg(args, 0);
    if (from) return fileWrite(from, 'rename', pathArg(args, 1));
  }
  if (c.chmod) {
    const path = pathArg(args);
    if (path) return fileWrite(path, 'chmod');
  }
  // everything else is kept as a named call
  return { kind: 'syscall', names: [c.fallback] };
}
