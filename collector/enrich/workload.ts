// Standalone workload identity, the last step of enrichment: the cgroup v2 path is the
// workload, and a container scope collapses to its container id, so a systemd service
// or a plain host's container (docker, podman) is one workload with one baseline. Where
// the Kubernetes step runs before it (enrich/kube/step.ts; the agent wires it when the
// API is configured or a host source reads this node), a pod's containers do not get
// here: that step names them — from its PodIndex (enrich/kube/pods.ts, this node's pods
// as the informer reports them) when the API is configured, else from the container
// runtime's bundles or the pod UID in the cgroup path. Replay, and an agent with neither
// the API nor a host source, have no such step: a pod's container is then named by its
// container id here.
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
