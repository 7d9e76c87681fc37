// Memoised generalisation: the state a Profiler keeps so that the same few thousand
// paths and destinations, recurring millions of times, are generalised once. Owned by
// the Profiler that uses it (models/ keeps no module-level state) and bounded: each map
// starts over when it reaches `max` entries.
//
// What the memos buy (measured in the replay, docs/performance.md): a path costs one
// Map lookup instead of a dozen regexes per segment; a directory memo makes a new file
// name cost one segment; `/proc/<pid>/…` is memoised by what follows the pid, so the
// memo is not one entry per pid (a big memo is a slow one); every result is interned,
// so baselines store and later find the very same string object and compare pointers.
import {
  flatString,
  generalizeArgs,
  generalizeFullPath,
  generalizePseudoPath,
  generalizeSegment,
  plainFileSlash,
  WILDCARD,
} from './generalize.ts';
import { hostPort } from './items.ts';

/** what item keys need from generalisation; `plainNames` (items.ts) computes, a Generalizer remembers */
export interface Names {
  /** the generalised form of a path, interned */
  path(p: string): string;
  /** "proto host:port", interned */
  netKey(proto: string, host: string, port: number): string;
}

/** a directory's generalised form, and its `dir/*` key once a random child was seen */
interface Dir {
  g: string;
  star: string | undefined;
}

export class Generalizer implements Names {
  private paths = new Map<string, string>();
  private procs = new Map<string, string>();
  private dirs = new Map<string, Dir>();
  private interned = new Map<string, string>();
  // proto → host → port → key
  private net = new Map<string, Map<number, string>>();
  private netCount = 0;

  constructor(private readonly max = 65536) {}

  path(path: string): string {
    if (path.length > 6 && path.charCodeAt(6) <= 57 && path.charCodeAt(6) >= 48 && path.startsWith('/proc/')) {
      const p = this.procPath(path);
      if (p !== undefined) return p;
    }
    const hit = this.paths.get(path);
    if (hit !== undefined) return hit;
    const out = this.compute(path);
    // a path whose file name was random (a temp name, a hash) will not come again:
    // remembering it would only churn the memo and the garbage collector
    if (out.endsWith('/*')) return out;
    if (this.paths.size >= this.max) this.paths = new Map();
    this.paths.set(flatString(path), out);
    return out;
  }

  /** argv[1..16] generalised (absolute paths among them through this memo) */
  args(argv: string[]): string {
    return generalizeArgs(argv, this.pathFn);
  }

  private readonly pathFn = (p: string): string => this.path(p);

  /** The single shared copy of a value: equal values become the same flat object, hashed once. */
  intern(s: string): string {
    let i = this.interned.get(s);
    if (i === undefined) {
      if (this.interned.size >= this.max) this.interned = new Map();
      i = flatString(s);
      this.interned.set(i, i);
    }
    return i;
  }

  netKey(proto: string, host: string, port: number): string {
    const hk = proto === 'tcp' ? host : `${proto}|${host}`;
    let byPort = this.net.get(hk);
    if (byPort === undefined) {
      if (this.netCount >= this.max) {
        this.net = new Map();
        this.netCount = 0;
      }
      this.net.set(flatString(hk), (byPort = new Map()));
    }
    let key = byPort.get(port);
    if (key === undefined) {
      key = this.intern(`${proto} ${hostPort(host, port)}`);
      byPort.set(port, key);
      this.netCount++;
    }
    return key;
  }

  /** /proc/<pid>/…: the answer depends only on what follows the pid (a digits-only segment is `*`) */
  private procPath(path: string): string | undefined {
    let i = 7;
    while (i < path.length && path.charCodeAt(i) >= 48 && path.charCodeAt(i) <= 57) i++;
    if (i < path.length && path.charCodeAt(i) !== 47 /* / */) return undefined;
    const rest = path.slice(i);
    let out = this.procs.get(rest);
    if (out === undefined) {
      out = this.compute('/proc/0' + rest);
      // /proc/<pid>/fd/<n>, /proc/<pid>/task/<tid>: not worth a memo entry (as above)
      if (out.endsWith('/*')) return out;
      if (this.procs.size >= this.max) this.procs = new Map();
      this.procs.set(flatString(rest), out);
    }
    return out;
  }

  /** generalizePath (generalize.ts) with a memo of directories; the result interned */
  private compute(path: string): string {
    if (!path.startsWith('/')) return this.intern(generalizePseudoPath(path));
    const slash = plainFileSlash(path);
    if (slash < 0) return this.intern(generalizeFullPath(path));
    const dir = path.slice(0, slash);
    let d = this.dirs.get(dir);
    if (d === undefined) {
      d = { g: generalizeFullPath(dir), star: undefined };
      if (this.dirs.size >= this.max) this.dirs = new Map();
      this.dirs.set(flatString(dir), d);
    }
    const leaf = generalizeSegment(path.slice(slash + 1));
    if (leaf === WILDCARD) return (d.star ??= this.intern(d.g + '/' + WILDCARD));
    return this.intern(d.g + '/' + leaf);
  }
}
