// One spelling for every path that names a binary. A process's executable reaches us
// spelled as it was run (the exec's file name: `/bin/bash`, `python3` found on PATH as
// `/usr/bin/python3`) or as the kernel resolved it (/proc/PID/exe, audit's exe=:
// `/usr/bin/bash`, `/usr/bin/python3.11`). On Debian /bin is a symlink to /usr/bin, so
// one process could be "/bin/bash" in one alert and "/usr/bin/bash" in the next, and a
// baseline that learned one spelling alerted on the other ("a parent it never had").
//
// The canonical spelling is the kernel's: every symlink resolved, as /proc/PID/exe shows
// it. Resolution happens inside the process's own root (a container's /bin may differ
// from the node's), through /proc/PID/root, one component at a time (a symlink's absolute
// target is taken relative to that root, never the node's). It is memoised per root
// filesystem — keyed by the process's cgroup, as a container's processes share one root
// — and per path, bounded; the owner of a BinaryPaths (the process cache) holds it.
//
// A process is often gone by the time its exec is attributed (`true`, `cat`: a
// millisecond), and with it every process of a short job; then no /proc/PID/root is left
// to resolve in, and the spelling would depend on timing (`/bin/true` on one run,
// `/usr/bin/true` on the next). A cgroup whose processes were once seen to share the
// node's root (/proc/1/root: systemd services, host processes, containers without a root
// of their own) is resolved in the node's root then; a container with its own root
// needs one of its processes (as before). Where pid 1's root cannot be read (a sandbox
// whose init hides it; an agent without the host's pid namespace), the agent's own root
// stands in for it: a cgroup seen to share the agent's root is resolved there.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { findCgroup2Root } from './cgroupid.ts';

export interface BinaryPathsOptions {
  /** where /proc is (tests) */
  procRoot?: string;
  /** the cgroup v2 mount, to find a live process of a cgroup when the exec'd one is gone (default: found in mountinfo) */
  cgroupRoot?: string | null;
  /** memo entries before the oldest are dropped */
  max?: number;
}

/** paths that name no file to resolve: memfd:x, `/x (deleted)`, relative names */
function resolvable(path: string): boolean {
  return path.startsWith('/') && !path.endsWith(' (deleted)') && !path.startsWith('/memfd:') && path.length < 4096;
}

export class BinaryPaths {
  /**
   * root key → path → canonical spelling. Two levels, not one `rootKey + path` key: the
   * key of every exec would be a new string of ~150 characters, joined and hashed per
   * event, where these are lookups of strings whose hashes are already known.
   */
  private memo = new Map<string, Map<string, string>>();
  private memoSize = 0;
  /**
   * per cgroup: the root its processes were seen to share, to resolve in once they are
   * gone — the node's (pid 1), else the agent's own ('self') — or none (false)
   */
  private nodeRoot = new Map<string, 'node' | 'self' | false>();
  private readonly procRoot: string;
  private cgroupRoot: string | null | undefined;
  private readonly max: number;
  /** resolutions done (memo misses that reached the file system) */
  resolved = 0;

  constructor(opts: BinaryPathsOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.cgroupRoot = opts.cgroupRoot;
    this.max = opts.max ?? 8192;
  }

  get size(): number {
    return this.memoSize;
  }

  /**
   * The canonical spelling of `path`, an executable of process `pid` (or of one of
   * `fallbackPids`, processes with the same root: its parent) in cgroup `rootKey`.
   * Unchanged when no process with that root is left to resolve it in (and then not
   * remembered: a later process may still resolve it).
   */
  canonical(path: string, pid: number, rootKey: string | undefined, fallbackPids: readonly number[] = []): string {
    if (!resolvable(path)) return path;
    if (rootKey !== undefined) {
      const hit = this.memo.get(rootKey)?.get(path);
      if (hit !== undefined) return hit;
    }
    let out: string | undefined;
    let by = 0;
    for (const p of [pid, ...fallbackPids]) {
      if (p > 0 && (out = this.resolveIn(p, path)) !== undefined) {
        by = p;
        break;
      }
    }
    if (out === undefined && rootKey !== undefined && (this.cgroupRoot ??= findCgroup2Root() ?? null) !== null) {
      // the process and its parent are gone (short-lived): any process of the cgroup will do
      for (const p of this.livePids(rootKey)) {
        if ((out = this.resolveIn(p, path)) !== undefined) {
          by = p;
          break;
        }
      }
    }
    if (by > 0 && rootKey !== undefined) this.noteRoot(rootKey, by);
    // nobody of the cgroup left, but its processes see the node's root (or the agent's): resolve there
    const shared = out === undefined && rootKey !== undefined ? this.nodeRoot.get(rootKey) : undefined;
    if (shared === 'node') out = this.resolveIn(1, path);
    else if (shared === 'self') out = this.resolveIn('self', path);
    if (out === undefined) return path;
    if (rootKey !== undefined) this.remember(rootKey, path, out);
    return out;
  }

  /** bounded: past max entries, the oldest of the root first remembered goes */
  private remember(rootKey: string, path: string, canonical: string): void {
    if (this.memoSize >= this.max) {
      const [oldestRoot, paths] = this.memo.entries().next().value as [string, Map<string, string>];
      paths.delete(paths.keys().next().value as string);
      this.memoSize--;
      if (paths.size === 0) this.memo.delete(oldestRoot);
    }
    let paths = this.memo.get(rootKey);
    if (paths === undefined) this.memo.set(rootKey, (paths = new Map()));
    if (!paths.has(path)) this.memoSize++;
    paths.set(path, canonical);
  }

  /** remember whether the processes of `rootKey` (alive as `pid`) see the node's root, or the agent's */
  private noteRoot(rootKey: string, pid: number): void {
    if (this.nodeRoot.has(rootKey)) return;
    let mine;
    try {
      mine = statSync(`${this.procRoot}/${pid}/root/`);
    } catch {
      return; // gone meanwhile: ask again next time
    }
    const same = (ref: number | 'self'): boolean | undefined => {
      try {
        const r = statSync(`${this.procRoot}/${ref}/root/`);
        return r.dev === mine.dev && r.ino === mine.ino;
      } catch {
        return undefined; // not ours to look at
      }
    };
    const node = same(1);
    const shared = node === true ? 'node' : node === undefined && same('self') === true ? 'self' : false;
    if (this.nodeRoot.size >= this.max) this.nodeRoot.delete(this.nodeRoot.keys().next().value as string);
    this.nodeRoot.set(rootKey, shared);
  }

  /** `path` with every symlink resolved inside pid's root; undefined when pid is gone or the path does not exist */
  private resolveIn(pid: number | 'self', path: string): string | undefined {
    const root = `${this.procRoot}/${pid}/root`;
    const out: string[] = [];
    let todo = path.split('/');
    let links = 0;
    this.resolved++;
    while (todo.length > 0) {
      const part = todo.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        out.pop();
        continue;
      }
      const here = '/' + (out.length > 0 ? out.join('/') + '/' : '') + part;
      let link: string | undefined;
      try {
        if (lstatSync(root + here).isSymbolicLink()) link = readlinkSync(root + here);
      } catch {
        return undefined;
      }
      if (link === undefined) {
        out.push(part);
        continue;
      }
      if (++links > 40) return undefined; // a loop
      if (link.startsWith('/')) out.length = 0;
      todo = [...link.split('/'), ...todo];
    }
    return '/' + out.join('/');
  }

  private livePids(cgroupPath: string): number[] {
    try {
      return readFileSync(`${this.cgroupRoot}${cgroupPath}/cgroup.procs`, 'utf8')
        .split('\n')
        .slice(0, 4)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }
}
