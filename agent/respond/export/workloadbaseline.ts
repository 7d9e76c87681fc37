// A workload's baselines as the WorkloadBaseline object (manifests/base/crds/), both ways.
// Out, for GitOps in a cluster: `habitwatch baseline export ID -o yaml --format
// workloadbaseline | kubectl apply -f -` puts it in the cluster, where every agent's
// baseline sync takes it as it takes another node's (agent/kube/sync.ts). Spec only: the
// status is what agents report, and the API server ignores a status sent with the object.
// In: `POST /v1/baselines/import` takes the object too (objectDoc), read as the sync reads
// objects (readObject): its items, collapse rules, forbidden patterns and lock — the
// object carries no counts, nodes, samples or exceptions — and its state from the
// status when it has one of the same version (`kubectl get wb … -o yaml`), else
// learning (locked when locked).
import type { Baseline } from '../../../models/baseline/baseline.ts';
import { fromCluster, toCluster } from '../../../models/baseline/cluster.ts';
import { BASELINE_KINDS } from '../../../models/baseline/items.ts';
import { GROUP, KIND, VERSION, WORKLOAD_LABEL, clusterWorkload, objectName, readObject, specOut, workloadLabel, type WorkloadBaselineObject } from '../../kube/crd.ts';
import { HttpError } from '../../api/errors.ts';
import { exportDoc, kindLists, stringList, type ExportDoc } from '../exchange.ts';

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

/** the object as an import document: one baseline per container, as the baseline sync reads them */
export function objectDoc(o: WorkloadBaselineObject, now: number): ExportDoc {
  const read = readObject(o);
  if (!read) throw new HttpError(400, `body: metadata.namespace and spec.workload do not name a Kubernetes workload (namespace/Kind/name)`);
  const w = read.workload;
  const name = objectName(w.kind, w.name);
  if (o.metadata.name !== name) throw new HttpError(400, `body.metadata.name: ${JSON.stringify(o.metadata.name)} is not the object of ${read.id} (${name}): which workload is meant?`);
  const identity = { workloadId: read.id, namespace: w.namespace, workloadKind: w.kind, workloadName: w.name };
  return exportDoc(read.id, read.containers.map((rc) => fromCluster(identity, rc, now)), now);
}

const time = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)$' };
const text = { type: 'string', maxLength: 1024 };
const noSlash = (max: number) => ({ type: 'string', pattern: `^[\\x21-\\x2e\\x30-\\x7e]{1,${max}}$` });
const item = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: { key: { type: 'string', minLength: 1, maxLength: 1024 }, firstSeen: time, parents: stringList, approved: { type: 'boolean' } },
};

/**
 * JSON Schema of the WorkloadBaseline object as import takes it (also in docs/openapi.yaml):
 * the CRD's spec, checked strictly (an unknown field is a mistake, not something to
 * prune); metadata and status as the API server returns them (only what is read is checked).
 */
export const workloadBaselineSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: `${GROUP}/${VERSION}` },
    kind: { const: KIND },
    metadata: {
      type: 'object',
      required: ['name', 'namespace'],
      properties: {
        name: { type: 'string', maxLength: 253 },
        namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['workload', 'containers'],
      properties: {
        workload: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'name'],
          properties: { kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,62}$' }, name: noSlash(253) },
        },
        containers: {
          type: 'array',
          minItems: 1,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'version'],
            properties: {
              name: noSlash(253),
              version: { type: 'integer', minimum: 1 },
              image: text,
              images: { type: 'array', items: text, maxItems: 8 },
              lockedBy: text,
              decidedAt: time,
              items: { type: 'object', propertyNames: { enum: [...BASELINE_KINDS] }, additionalProperties: { type: 'array', items: item, maxItems: 20000 } },
              collapsed: kindLists,
              forbidden: kindLists,
              removed: {
                type: 'array',
                maxItems: 256,
                items: { type: 'object', additionalProperties: false, required: ['kind', 'key', 'at'], properties: { kind: { enum: [...BASELINE_KINDS] }, key: text, at: time } },
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: {
        containers: {
          type: 'array',
          maxItems: 64,
          items: {
            type: 'object',
            required: ['name', 'state', 'version'],
            properties: {
              name: { type: 'string' },
              state: { enum: ['learning', 'stable', 'unstable', 'relearning', 'locked'] },
              version: { type: 'integer' },
              learningSince: time,
              lastNewItemAt: time,
              stableSince: time,
              unstableReason: text,
            },
          },
        },
      },
    },
  },
} as const;
