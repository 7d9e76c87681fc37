// The suite's cluster: the emulated Kubernetes API (test/support/kube) lists every pod
// the suite runs, with its owners, so the agent names workloads as in a real cluster —
// replicas of a Deployment share one baseline, each run of a CronJob is a new pod of the
// same workload, a new image digest is a new baseline version.
import { KubeApiServer } from '../../support/kube/server.ts';
import { cronJob, deployment, job, pod, randomDigest, replicaSet, workload } from '../../support/kube/objects.ts';
import type { KubeObject } from '../../support/kube/store.ts';
import { createPod, type Pod } from './pod.ts';
import type { Role } from './workloads.ts';

export const NODE = 'test-node';

export interface WorkloadSpec {
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'CronJob';
  name: string;
  container: string;
  image: string;
}

export const SPECS: Record<Role, WorkloadSpec> = {
  web: { namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app', image: 'registry.example/shop/web:1.4.2' },
  'web-client': { namespace: 'shop', kind: 'Deployment', name: 'loadgen', container: 'load', image: 'registry.example/shop/loadgen:0.9' },
  db: { namespace: 'data', kind: 'StatefulSet', name: 'postgres', container: 'postgres', image: 'docker.io/library/postgres:15' },
  'db-client': { namespace: 'data', kind: 'Deployment', name: 'reporter', container: 'psql', image: 'registry.example/data/reporter:2.1' },
  batch: { namespace: 'ops', kind: 'CronJob', name: 'report', container: 'job', image: 'registry.example/ops/report:3.0' },
  worker: { namespace: 'ops', kind: 'Deployment', name: 'worker', container: 'worker', image: 'registry.example/ops/worker:1.0' },
  forker: { namespace: 'shop', kind: 'Deployment', name: 'forker', container: 'app', image: 'registry.example/shop/forker:5.2' },
};

export const workloadIdOf = (role: Role): string => `${SPECS[role].namespace}/${SPECS[role].kind}/${SPECS[role].name}`;

export class Cluster {
  /** the object new pods of a role are owned by (a ReplicaSet, the StatefulSet, the CronJob) */
  private owners = new Map<Role, KubeObject>();
  private images = new Map<Role, { image: string; digest: string }>();
  private jobRun = Math.floor(Date.now() / 60_000);
  private podNames = new Map<Pod, { namespace: string; name: string; job?: string }>();
  /** pod addresses: 127.10.x.y, each pod its own (servers bind it, the API lists it) */
  private nextIp = 1;

  private constructor(readonly kube: KubeApiServer) {}

  static async start(): Promise<Cluster> {
    return new Cluster(await KubeApiServer.start());
  }

  private owner(role: Role): KubeObject {
    let o = this.owners.get(role);
    if (o !== undefined) return o;
    const s = SPECS[role];
    if (s.kind === 'Deployment') o = this.kube.apply(replicaSet(this.kube.apply(deployment(s.namespace, s.name, { image: s.image }))));
    else if (s.kind === 'StatefulSet') o = this.kube.apply(workload('StatefulSet', s.namespace, s.name));
    else o = this.kube.apply(cronJob(s.namespace, s.name, '*/1 * * * *'));
    this.owners.set(role, o);
    return o;
  }

  private imageOf(role: Role): { image: string; digest: string } {
    let i = this.images.get(role);
    if (i === undefined) this.images.set(role, (i = { image: SPECS[role].image, digest: randomDigest() }));
    return i;
  }

  /** a new pod of the role's workload: its cgroup and mount namespace, listed by the API before anything runs in it */
  async addPod(role: Role): Promise<Pod> {
    const s = SPECS[role];
    let owner = this.owner(role);
    let name: string | undefined;
    let jobName: string | undefined;
    if (s.kind === 'StatefulSet') name = `${s.name}-${[...this.podNames.values()].filter((p) => p.name.startsWith(`${s.name}-`)).length}`;
    if (s.kind === 'CronJob') {
      // each run: a Job named after its schedule slot, and its pod
      owner = this.kube.apply(job(s.namespace, s.name, owner, ++this.jobRun));
      jobName = owner.metadata.name!;
    }
    const n = this.nextIp++;
    const p = await createPod(role, name ?? '', workloadIdOf(role), `127.10.${n >> 8}.${n & 255}`);
    const img = this.imageOf(role);
    const obj = this.kube.apply(
      pod({ namespace: s.namespace, ...(name ? { name } : {}), uid: p.cgroup.podUid, owner, node: NODE, ip: p.ip, containers: [{ name: s.container, id: p.cgroup.containerId, image: img.image, digest: img.digest }] }),
    );
    p.name = obj.metadata.name!;
    this.podNames.set(p, { namespace: s.namespace, name: p.name, ...(jobName ? { job: jobName } : {}) });
    return p;
  }

  /** the pod ends: its processes, cgroup and API object go (and its Job, for a CronJob run) */
  async removePod(p: Pod): Promise<void> {
    await p.remove();
    const n = this.podNames.get(p);
    if (n === undefined) return;
    this.podNames.delete(p);
    this.kube.delete('v1', 'Pod', n.namespace, n.name);
    if (n.job) this.kube.delete('batch/v1', 'Job', n.namespace, n.job);
  }

  /** a rollout of a new image: a new ReplicaSet; pods added from now on run it */
  upgrade(role: Role, tag: string): void {
    const s = SPECS[role];
    if (s.kind !== 'Deployment') throw new Error(`${role}: only Deployments roll out here`);
    const image = s.image.replace(/:[^:/]+$/, `:${tag}`);
    const dep = this.kube.apply({ ...deployment(s.namespace, s.name, { image }) });
    this.owners.set(role, this.kube.apply(replicaSet(dep)));
    this.images.set(role, { image, digest: randomDigest() });
  }

  kubeconfigYaml(): string {
    return this.kube.kubeconfigYaml();
  }

  async close(): Promise<void> {
    await this.kube.close();
  }
}


