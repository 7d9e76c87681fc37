// Live-mode lookups in /proc while the audited process may still be alive. Audit
// records carry no container identity; the cgroup must be read at receive time
// because short-lived processes are gone moments later.
import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcReader {
  /** cgroup v2 path of pid (the `0::` line), undefined when gone or v1-only */
  cgroupPath(pid: number): string | undefined;
  /** local port of the listening TCP socket behind fd of pid */
  listenPort(pid: number, fd: number): number | undefined;
}

export function procReader(root = '/proc'): ProcReader {
  return {
    cgroupPath(pid) {
      let text: string;
      try {
        text = readFileSync(`${root}/${pid}/cgroup`, 'latin1');
      } catch {
        return undefined; // ENOENT: already exited
      }
      return cgroupV2Path(text);
    },
    listenPort(pid, fd) {
      try {
        const link = readlinkSync(`${root}/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (!m) return undefined;
        for (const f of ['tcp', 'tcp6']) {
          const port = portOfInode(readFileSync(`${root}/${pid}/net/${f}`, 'latin1'), m[1]);
          if (port !== undefined) return port;
        }
      } catch {
        /* gone or not permitted */
      }
      return undefined;
    },
  };
}

/** the path of the `0::/path` line; hybrid hosts list v1 controllers too */
export function cgroupV2Path(text: string): string | undefined {
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    if (text.startsWith('0::', start)) return text.slice(start + 3, nl);
    start = nl + 1;
  }
  return undefined;
}

/** /proc/net/tcp{,6}: `sl local_address rem st … uid timeout inode`; port is hex after ':' */
export function portOfInode(table: string, inode: string): number | undefined {
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[9] !== inode) continue;
    const local = cols[1];
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    return Number.isNaN(port) ? undefined : port;
  }
  return undefined;
}
