// Live-mode lookups in /proc while the audited process may still be alive. Audit
// records carry no container identity; the cgroup must be read at receive time
// because short-lived processes are gone moments later.
import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcReader {
  /** cgroup v2 path of pid (the `0::` line), undefined when gone or v1-only */
  cgroupPath(pid: number): string | undefined;
  /** local port of the listening TCP socket behind fd of pid */
  listenPort(pid: number, fd: number): number | undefined;
  /**
   * 'udp' when fd of pid is a UDP socket connected to dstPort (audit's connect record
   * does not say). The port check guards against the fd having been closed and
   * reused since the connect.
   */
  socketProto(pid: number, fd: number, dstPort: number): 'tcp' | 'udp' | undefined;
}

function socketInode(root: string, pid: number, fd: number): string | undefined {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${root}/${pid}/fd/${fd}`));
    return m ? m[1] : undefined;
  } catch {
    return undefined; // gone, fd closed, or not permitted
  }
}

function findInode(root: string, pid: number, tables: string[], inode: string): SocketRow | undefined {
  for (const f of tables) {
    try {
      const row = rowOfInode(readFileSync(`${root}/${pid}/net/${f}`, 'latin1'), inode);
      if (row !== undefined) return row;
    } catch {
      /* gone or no such table */
    }
  }
  return undefined;
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
      const inode = socketInode(root, pid, fd);
      return inode === undefined ? undefined : findInode(root, pid, ['tcp', 'tcp6'], inode)?.localPort;
    },
    socketProto(pid, fd, dstPort) {
      const inode = socketInode(root, pid, fd);
      if (inode === undefined) return undefined;
      // the udp tables are short; anything else stays the default (tcp)
      const row = findInode(root, pid, ['udp', 'udp6'], inode);
      return row !== undefined && row.remotePort === dstPort ? 'udp' : undefined;
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

export interface SocketRow {
  localPort: number;
  remotePort: number;
}

/** /proc/net/{tcp,udp}{,6}: `sl local_address rem_address st … uid timeout inode`; ports are hex after ':' */
export function rowOfInode(table: string, inode: string): SocketRow | undefined {
  const port = (col: string): number => parseInt(col.slice(col.lastIndexOf(':') + 1), 16);
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[9] !== inode) continue;
    const localPort = port(cols[1]);
    const remotePort = port(cols[2]);
    if (Number.isNaN(localPort) || Number.isNaN(remotePort)) return undefined;
    return { localPort, remotePort };
  }
  return undefined;
}
