// Builders for the objects Kubernetes controllers and kubelets would create, for tests
// to put into the emulated API server (it runs no controllers): a Deployment, its
// ReplicaSet, their pods with container statuses (container ids, image digests), a
// CronJob and its Jobs, Services and EndpointSlices. Owners must be stored objects
// (they carry the uid the server gave them).
import { randomBytes } from 'node:crypto';
import type { KubeObject } from './store.ts';

export const ownerRef = (o: KubeObject): NonNullable<KubeObject['metadata']['ownerReferences']>[number] => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  name: o.metadata.name!,
  uid: o.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** a suffix from Kubernetes' "safe" alphabet, as generateName and pod-template-hash use */
export function safeSuffix(n: number): string {
  const b = randomBytes(n);
  return [...b].map((x) => SAFE[x % SAFE.length]).join('');
}

export const randomContainerId = (): string => randomBytes(32).toString('hex');
export const randomDigest = (): string => `sha256:${randomBytes(32).toString('hex')}`;

export function deployment(namespace: string, name: string, o: { replicas?: number; image?: string; labels?: Record<string, string> } = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: { replicas: o.replicas ?? 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: o.image ?? `registry.example/${name}:1.0` }] } } },
  };
}

export function replicaSet(owner: KubeObject, hash = safeSuffix(10)): KubeObject {
  const labels = { ...((owner.metadata.labels as Record<string, string>) ?? {}), 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${owner.metadata.name}-${hash}`, namespace: owner.metadata.namespace, labels, ownerReferences: [ownerRef(owner)] },
    spec: { replicas: 2, selector: { matchLabels: labels } },
  };
}

export function workload(kind: 'StatefulSet' | 'DaemonSet', namespace: string, name: string): KubeObject {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace, labels: { app: name } }, spec: { selector: { matchLabels: { app: name } } } };
}

export function cronJob(namespace: string, name: string, schedule = '* * * * *'): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace }, spec: { schedule, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'busybox' }] } } } } } };
}

/** a CronJob's Job: named <cronjob>-<scheduled time in minutes since the epoch>, as the controller names them */
export function job(namespace: string, name: string, owner?: KubeObject, scheduledMinutes = Math.floor(Date.now() / 60000)): KubeObject {
  const jobName = owner ? `${owner.metadata.name}-${scheduledMinutes}` : name;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName, namespace, labels: { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName }, ...(owner ? { ownerReferences: [ownerRef(owner)] } : {}) },
    spec: { completions: 1 },
  };
}

export interface ContainerInput {
  name: string;
  /** 64-hex runtime id; a random one when omitted */
  id?: string;
  runtime?: 'containerd' | 'cri-o' | 'docker';
  image?: string;
  /** image digest (sha256:…); random when omitted */
  digest?: string;
  /** true: not started yet (no containerID in its status) */
  waiting?: boolean;
}

export interface PodInput {
  namespace: string;
  /** default: the owner's name + a generated suffix (ReplicaSet: -xxxxx), or a random name */
  name?: string;
  uid?: string;
  node: string;
  owner?: KubeObject;
  containers: ContainerInput[];
  labels?: Record<string, string>;
  ip?: string;
  serviceAccount?: string;
  /** extra bulk a real pod carries (env, mounts, managedFields, conditions): for size measurements */
  realistic?: boolean;
}

export function pod(p: PodInput): KubeObject {
  const ownerName = p.owner?.metadata.name;
  const name = p.name ?? (ownerName ? `${ownerName}-${safeSuffix(5)}` : `pod-${safeSuffix(5)}`);
  const labels = { ...((p.owner?.metadata.labels as Record<string, string>) ?? {}), ...(p.labels ?? {}) };
  const containers = p.containers.map((c) => ({ ...c, id: c.id ?? randomContainerId(), image: c.image ?? `registry.example/${c.name}:1.0`, digest: c.digest ?? randomDigest() }));
  const bulk = p.realistic ?? false;
  const meta: KubeObject['metadata'] = {
    name,
    namespace: p.namespace,
    ...(p.uid ? { uid: p.uid } : {}),
    labels,
    ...(p.owner ? { ownerReferences: [ownerRef(p.owner)] } : {}),
    ...(bulk
      ? {
          annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString(), 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
          managedFields: [
            { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: new Date().toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) }, 'f:spec': { 'f:containers': Object.fromEntries(containers.map((c) => [`k:{"name":"${c.name}"}`, { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {}, 'f:env': {} }])) } } },
            { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: new Date().toISOString(), fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } } },
          ],
        }
      : {}),
  };
  const spec = {
    nodeName: p.node,
    serviceAccountName: p.serviceAccount ?? 'default',
    restartPolicy: 'Always',
    containers: containers.map((c) => ({
      name: c.name,
      image: c.image,
      ...(bulk
        ? {
            env: Array.from({ length: 12 }, (_, i) => ({ name: `ENV_VAR_NUMBER_${i}`, value: `value-of-the-environment-variable-${i}` })),
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }, { name: 'data', mountPath: '/data' }],
            ports: [{ containerPort: 8080, protocol: 'TCP', name: 'http' }],
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
            terminationMessagePath: '/dev/termination-log',
            imagePullPolicy: 'IfNotPresent',
          }
        : {}),
    })),
    ...(bulk ? { volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }, { name: 'data', emptyDir: {} }], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' } : {}),
  };
  const status = {
    phase: 'Running',
    ...(p.ip ? { podIP: p.ip, podIPs: [{ ip: p.ip }] } : {}),
    hostIP: '10.0.0.1',
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `${c.image.replace(/:[^:/]*$/, '')}@${c.digest}`,
      ready: !c.waiting,
      restartCount: 0,
      started: !c.waiting,
      ...(c.waiting ? { state: { waiting: { reason: 'ContainerCreating' } } } : { containerID: `${c.runtime ?? 'containerd'}://${c.id}`, state: { running: { startedAt: new Date().toISOString() } } }),
    })),
    ...(bulk ? { conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: new Date().toISOString() })), qosClass: 'Burstable', startTime: new Date().toISOString() } : {}),
  };
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec, status };
}

/** a Service; clusterIP 'None' makes it headless */
export function service(namespace: string, name: string, clusterIP: string, ports: number[] = [80]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP, clusterIPs: [clusterIP], type: 'ClusterIP', selector: { app: name }, ports: ports.map((p) => ({ port: p, protocol: 'TCP', targetPort: p })) },
  };
}

/** an EndpointSlice of a Service, labelled as the EndpointSlice controller labels them (headless: no ClusterIP) */
export function endpointSlice(svc: KubeObject, addresses: { ip: string; pod?: string; node?: string }[], port = 80): KubeObject {
  const headless = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP === 'None';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc.metadata.name}-${safeSuffix(5)}`,
      namespace: svc.metadata.namespace,
      labels: { 'kubernetes.io/service-name': svc.metadata.name!, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', ...(headless ? { 'service.kubernetes.io/headless': '' } : {}) },
    },
    addressType: addresses.some((a) => a.ip.includes(':')) ? 'IPv6' : 'IPv4',
    endpoints: addresses.map((a) => ({
      addresses: [a.ip],
      conditions: { ready: true },
      ...(a.pod ? { targetRef: { kind: 'Pod', name: a.pod, namespace: svc.metadata.namespace } } : {}),
      ...(a.node ? { nodeName: a.node } : {}),
    })),
    ports: [{ port, protocol: 'TCP', name: '' }],
  };
}
