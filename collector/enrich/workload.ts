// Standalone workload identity (no Kubernetes): the cgroup v2 path is the workload,
// and a container scope collapses to its container id, so a systemd service or a
// container is one workload with one baseline. Kubernetes resolution (pod → owner)
// overrides this when a pod cache is configured.
import type { RuntimeEvent, WorkloadRef } from '../event.ts';

export function standaloneWorkload(ev: RuntimeEvent): WorkloadRef {
  if (ev.container) {
    const short = ev.container.id.slice(0, 12);
    return {
      id: `host/container/${ev.container.id}`,
      kind: 'Container',
      name: ev.container.name ?? short,
      container: ev.container.name ?? short,
      ...(ev.container.image ? { image: ev.container.image } : {}),
      ...(ev.workload?.podUid ? { podUid: ev.workload.podUid } : {}),
    };
  }
  const path = ev.cgroup?.path;
  if (path && path !== '/') {
    const clean = path.replace(/^\/+/, '');
    const leaf = clean.split('/').pop() ?? clean;
    return { id: `host/cgroup/${clean}`, kind: 'Cgroup', name: leaf, container: leaf };
  }
  return { id: 'host/cgroup/', kind: 'Host', name: ev.node, container: 'host' };
}
