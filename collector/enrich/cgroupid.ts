// Kernel cgroup id → cgroup v2 path. bpftrace's `cgroup` builtin is the id of the
// task's cgroup in the unified hierarchy, which is the inode number of its directory
// in cgroup2fs; we find it by scanning the mount and keep a map, rescanning on a miss
// (rate-limited, so a stream of unknown ids costs at most one scan per interval).
//
// A miss with the pid of a process in that cgroup is first resolved from the process
// itself: /proc/PID/cgroup names the path, and the directory's inode must be the id.
// This is what a container's first exec needs: its cgroup was created a moment before,
// and a rescan of the whole tree may just have run for another container (rate limit),
// which left the start command without a container (issue 13: `python3 server.py` was
// missing from its baseline).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcCgroup } from './proc-cgroup.ts';

/** the first cgroup2 mount point in a mountinfo text (/proc/self/mountinfo) */
export function cgroup2RootFromMountinfo(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const post = line.slice(sep + 3).split(' ');
    if (post[0] !== 'cgroup2') continue;
    const pre = line.slice(0, sep).split(' ');
    // field 4 is the mount point; octal escapes (\040) stand for spaces
    return pre[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

export function findCgroup2Root(): string | undefined {
  if (process.env.HABITWATCH_CGROUP2_ROOT) return process.env.HABITWATCH_CGROUP2_ROOT;
  try {
    return cgroup2RootFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

export interface CgroupIdMapOptions {
  /** cgroup v2 mount point; found from mountinfo when omitted */
  root?: string;
  /** at most one rescan per this many ms on misses */
  minRescanMs?: number;
  /** stop descending after this many directories (protects huge hosts) */
  maxEntries?: number;
  now?: () => number;
  /** where /proc is (tests) */
  procRoot?: string;
}

export class CgroupIdMap {
  readonly root: string | undefined;
  private byId = new Map<string, string>();
  private lastScan = -Infinity;
  private readonly minRescanMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly procRoot: string;
  scans = 0;

  constructor(opts: CgroupIdMapOptions = {}) {
    this.root = opts.root ?? findCgroup2Root();
    this.minRescanMs = opts.minRescanMs ?? 250;
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.now = opts.now ?? Date.now;
    this.procRoot = opts.procRoot ?? '/proc';
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * path relative to the unified mount (leading slash), or undefined if unknown; `pid`,
   * a process in that cgroup, lets a miss be resolved from /proc/PID/cgroup at once
   */
  lookup(id: string, pid?: number): string | undefined {
    const hit = this.byId.get(id);
    if (hit !== undefined) return hit;
    if (pid !== undefined && pid > 0) {
      const p = this.fromProcess(id, pid);
      if (p !== undefined) return p;
    }
    if (this.now() - this.lastScan < this.minRescanMs) return undefined;
    this.rescan();
    return this.byId.get(id);
  }

  // ids /proc could not resolve (process gone, cgroup outside our mount): not retried for a while
  private unresolved = new Map<string, number>();

  private fromProcess(id: string, pid: number): string | undefined {
    if (!this.root) return undefined;
    const t = this.unresolved.get(id);
    if (t !== undefined && this.now() - t < this.minRescanMs) return undefined;
    let path: string | undefined;
    try {
      path = parseProcCgroup(readFileSync(`${this.procRoot}/${pid}/cgroup`, 'utf8')).unified;
      // a path outside our cgroup namespace (/../…) is not under our mount
      if (path !== undefined && !path.startsWith('/..') && String(statSync(join(this.root, path), { bigint: true }).ino) === id) {
        this.byId.set(id, path);
        this.unresolved.delete(id);
        return path;
      }
    } catch {
      /* the process is gone, or its cgroup with it */
    }
    if (this.unresolved.size >= 4096) this.unresolved.clear();
    this.unresolved.set(id, this.now());
    return undefined;
  }

  /** remember a mapping learnt elsewhere (e.g. a cgroup created by a test) */
  set(id: string, path: string): void {
    this.byId.set(id, path);
  }

  rescan(): void {
    this.lastScan = this.now();
    this.scans++;
    if (!this.root) return;
    const next = new Map<string, string>();
    const stack: [string, string][] = [[this.root, '/']];
    while (stack.length > 0 && next.size < this.maxEntries) {
      const [abs, rel] = stack.pop()!;
      try {
        next.set(statSync(abs, { bigint: true }).ino.toString(), rel);
      } catch {
        continue; // removed while scanning
      }
      let entries;
      try {
        entries = readdirSync(abs, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.isDirectory()) stack.push([join(abs, e.name), rel === '/' ? `/${e.name}` : `${rel}/${e.name}`]);
      }
    }
    // ids of removed cgroups are kept only until the next scan: events may still be in flight
    this.byId = next;
  }
}
