// Standalone workload identity, the last step of enrichment: the cgroup v2 path is the
// workload, and a container scope collapses to its container id, so a systemd service
// or a plain host's container (docker, podman) is one workload with one baseline. A
// pod's containers do not get here: the Kubernetes step runs before this one
// (enrich/kube/step.ts) wherever events are judged — in the agent (agent/kube/wire.ts)
// and in replay (agent/replay/shard.ts) — and names them: from its PodIndex
// (enrich/kube/pods.ts, this node's pods as the informer reports them) when the API is
// configured, else from the container runtime's bundles when a host source reads this
// node, else from the pod UID in the cgroup path (`host/pod/<uid>`). Only an event that
// already names its workload, or a container outside any pod, is named here.
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
