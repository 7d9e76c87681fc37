// cgroup path → container identity. Handles the cgroup names of containerd,
// CRI-O, Docker and podman under both the systemd and cgroupfs drivers.
import type { ContainerRuntime } from '../event.ts';

export interface ContainerIdentity {
  id: string;
  runtime: ContainerRuntime;
  /** pod UID with dashes, when the path carries a kubepods pod segment */
  podUid?: string;
}

const SCOPE = /(?:^|\/)(cri-containerd|crio|docker|libpod)-([0-9a-f]{64})\.scope$/;
const CGROUPFS_ID = /\/([0-9a-f]{64})$/;
const POD = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

const RUNTIME: Record<string, ContainerRuntime> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  docker: 'docker',
  libpod: 'podman',
};

export function containerFromCgroupPath(path: string): ContainerIdentity | undefined {
  const pod = POD.exec(path);
  const podUid = pod ? pod[1].replaceAll('_', '-') : undefined;
  const m = SCOPE.exec(path);
  if (m) return { id: m[2], runtime: RUNTIME[m[1]] ?? 'unknown', ...(podUid ? { podUid } : {}) };
  const c = CGROUPFS_ID.exec(path);
  if (c) {
    const runtime: ContainerRuntime = path.includes('/docker/') ? 'docker' : path.includes('kubepods') ? 'unknown' : 'unknown';
    return { id: c[1], runtime, ...(podUid ? { podUid } : {}) };
  }
  return undefined;
}
