// cgroup path → container identity. Handles the cgroup names of containerd, CRI-O,
// Docker and podman under both the systemd and cgroupfs drivers, nested node
// containers (kind, minikube), the `slice:cri-containerd:<id>` form of containerd
// without systemd, and paths relative to a private cgroup namespace (`/../../…`).
import type { ContainerRuntime } from '../event.ts';

export interface ContainerIdentity {
  id: string;
  runtime: ContainerRuntime;
  /** pod UID (dashes restored for systemd slices), when the path carries a pod segment */
  podUid?: string;
}

// one path segment that names a container: prefix-<id>[.scope] or a bare <id>
const SEGMENT = /^(?:(cri-containerd|crio|docker|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/;
// containerd's systemd-style name when systemd is not the driver: <slice>:cri-containerd:<id>
const COLON_FORM = /:(cri-containerd|crio|docker):([0-9a-f]{64})$/;
// conmon and friends hold the id of the container they monitor, but are not it
const MONITOR = /^(?:crio-conmon|libpod-conmon)-[0-9a-f]{64}/;
const POD_DASHED = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice|\/|$|:)/;
// static pods (kubelet manifests) have a 32-hex UID without dashes
const POD_PLAIN = /pod([0-9a-f]{32})(?:\.slice|\/|$|:)/;

const RUNTIME: Record<string, ContainerRuntime> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  docker: 'docker',
  libpod: 'podman',
};

export function podUidFromCgroupPath(path: string): string | undefined {
  // the last pod segment wins (a nested kind node has its own kubepods tree)
  let uid: string | undefined;
  for (const re of [POD_DASHED, POD_PLAIN]) {
    const g = new RegExp(re.source, 'g');
    let m: RegExpExecArray | null;
    let last: string | undefined;
    while ((m = g.exec(path)) !== null) last = m[1];
    if (last) {
      uid = last.replaceAll('_', '-');
      break;
    }
  }
  return uid;
}

/**
 * The container is the LAST path segment that carries a 64-hex id: in a nested
 * kind/minikube node the outer docker scope is the node, the inner one the pod's
 * container. Segments below it (init.scope, `container`, a sub-cgroup a process made
 * for itself) still belong to that container.
 */
export function containerFromCgroupPath(path: string): ContainerIdentity | undefined {
  const segs = path.split('/');
  for (let i = segs.length - 1; i >= 0; i--) {
    const seg = segs[i];
    if (seg.length < 64) continue;
    if (MONITOR.test(seg)) return undefined;
    let id: string | undefined;
    let prefix: string | undefined;
    const m = SEGMENT.exec(seg);
    if (m) {
      id = m[2];
      prefix = m[1];
    } else {
      const c = COLON_FORM.exec(seg);
      if (c) {
        id = c[2];
        prefix = c[1];
      }
    }
    if (!id) continue;
    let runtime: ContainerRuntime = prefix ? (RUNTIME[prefix] ?? 'unknown') : 'unknown';
    if (!prefix && segs[i - 1] === 'docker') runtime = 'docker';
    const podUid = podUidFromCgroupPath(segs.slice(0, i + 1).join('/'));
    return { id, runtime, ...(podUid ? { podUid } : {}) };
  }
  return undefined;
}
