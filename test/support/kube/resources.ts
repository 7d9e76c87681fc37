// The resource types the emulated API server serves: the built-ins habitwatch (and its
// tests) use, plus any CustomResourceDefinition installed — from a manifest file, or by
// POSTing it to apiextensions.k8s.io as `kubectl apply` would.
import { pathGetter, type FieldGetter } from './selectors.ts';
import type { OpenApiSchema } from './schema.ts';
import type { KubeObject } from './store.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  /** plural, as in the URL */
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** has a /status subresource: the main resource ignores status, /status ignores the rest */
  statusSubresource: boolean;
  /** keeps metadata.generation (bumped when anything but metadata and status changes) */
  generation: boolean;
  /** create-only review resources answered by a handler, never stored */
  virtual: boolean;
  /** field selectors this type supports */
  fields: Record<string, FieldGetter>;
  /** CRDs: structural schema (pruning + validation) and printer columns */
  schema?: OpenApiSchema;
  printerColumns?: PrinterColumn[];
  custom: boolean;
}

export const apiVersionOf = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);
export const rtKey = (t: { group: string; resource: string }): string => `${t.group}/${t.resource}`;

const META_FIELDS: Record<string, FieldGetter> = {
  'metadata.name': pathGetter('metadata.name'),
  'metadata.namespace': pathGetter('metadata.namespace'),
};

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  o: { namespaced?: boolean; status?: boolean; generation?: boolean; virtual?: boolean; fields?: string[]; shortNames?: string[] } = {},
): ResourceType {
  const fields: Record<string, FieldGetter> = { ...META_FIELDS };
  for (const f of o.fields ?? []) fields[f] = pathGetter(f);
  return {
    group,
    version,
    resource,
    kind,
    namespaced: o.namespaced ?? true,
    shortNames: o.shortNames ?? [],
    statusSubresource: o.status ?? false,
    generation: o.generation ?? false,
    virtual: o.virtual ?? false,
    fields,
    custom: false,
  };
}

/** the field selectors kube-apiserver supports for pods (pkg/registry/core/pod/strategy.go) */
const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

export function builtinResources(): ResourceType[] {
  return [
    builtin('', 'v1', 'pods', 'Pod', { status: true, fields: POD_FIELDS, shortNames: ['po'] }),
    builtin('', 'v1', 'services', 'Service', { status: true, shortNames: ['svc'] }),
    builtin('', 'v1', 'namespaces', 'Namespace', { namespaced: false, status: true, fields: ['status.phase'], shortNames: ['ns'] }),
    builtin('', 'v1', 'nodes', 'Node', { namespaced: false, status: true, fields: ['spec.unschedulable'], shortNames: ['no'] }),
    builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
    builtin('apps', 'v1', 'deployments', 'Deployment', { status: true, generation: true, shortNames: ['deploy'] }),
    builtin('apps', 'v1', 'replicasets', 'ReplicaSet', { status: true, generation: true, fields: ['status.replicas'], shortNames: ['rs'] }),
    builtin('apps', 'v1', 'statefulsets', 'StatefulSet', { status: true, generation: true, shortNames: ['sts'] }),
    builtin('apps', 'v1', 'daemonsets', 'DaemonSet', { status: true, generation: true, shortNames: ['ds'] }),
    builtin('batch', 'v1', 'jobs', 'Job', { status: true, generation: true, fields: ['status.successful'] }),
    builtin('batch', 'v1', 'cronjobs', 'CronJob', { status: true, generation: true, shortNames: ['cj'] }),
    builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
    builtin('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', { namespaced: false, virtual: true }),
    builtin('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', { namespaced: false, virtual: true }),
    builtin('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', { namespaced: false, virtual: true }),
    builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', { namespaced: false, status: true, generation: true, shortNames: ['crd'] }),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', { namespaced: false }),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', { namespaced: false }),
  ];
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: OpenApiSchema };
  subresources?: { status?: object; scale?: object };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

/** the resource types a CustomResourceDefinition object defines (one per served version) */
export function resourcesOfCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { plural: string; kind: string; shortNames?: string[] };
    versions: CrdVersion[];
  };
  if (!spec?.group || !spec.names?.plural || !Array.isArray(spec.versions)) throw new Error('CustomResourceDefinition without spec.group, spec.names.plural or spec.versions');
  const out: ResourceType[] = [];
  for (const v of spec.versions) {
    if (v.served === false) continue;
    const fields: Record<string, FieldGetter> = { ...META_FIELDS };
    for (const s of v.selectableFields ?? []) fields[s.jsonPath.replace(/^\./, '')] = pathGetter(s.jsonPath.replace(/^\./, ''));
    out.push({
      group: spec.group,
      version: v.name,
      resource: spec.names.plural,
      kind: spec.names.kind,
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [],
      statusSubresource: v.subresources?.status !== undefined,
      generation: true,
      virtual: false,
      fields,
      ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
      ...(v.additionalPrinterColumns ? { printerColumns: v.additionalPrinterColumns } : {}),
      custom: true,
    });
  }
  return out;
}
