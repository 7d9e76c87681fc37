// A workload's baselines as the WorkloadBaseline object (manifests/base/crds/), for GitOps in
// a cluster: `habitwatch baseline export ID -o yaml --format workloadbaseline | kubectl
// apply -f -` puts it in the cluster, where every agent's baseline sync takes it as it
// takes another node's (agent/kube/sync.ts). Spec only: the status is what agents
// report, and the API server ignores a status sent with the object.
import type { Baseline } from '../../../models/baseline/baseline.ts';
import { toCluster } from '../../../models/baseline/cluster.ts';
import { GROUP, KIND, VERSION, WORKLOAD_LABEL, clusterWorkload, objectName, specOut, workloadLabel, type WorkloadBaselineObject } from '../../kube/crd.ts';
import { HttpError } from '../../api/errors.ts';

export function workloadBaselineObject(workloadId: string, baselines: Baseline[]): WorkloadBaselineObject {
  const w = clusterWorkload(workloadId);
  if (!w) throw new HttpError(409, `${workloadId} is not a Kubernetes workload (namespace/Kind/name): it has no WorkloadBaseline object; export it as a BaselineExport document instead`);
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: KIND,
    metadata: { name: objectName(w.kind, w.name), namespace: w.namespace, labels: { [WORKLOAD_LABEL]: workloadLabel(workloadId) } },
    spec: { workload: { kind: w.kind, name: w.name }, containers: baselines.map((b) => specOut(toCluster(b), undefined, [])) },
  };
}
