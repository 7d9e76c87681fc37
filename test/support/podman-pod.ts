// A rendered DaemonSet's pod, as `podman run` flags: what the kubelet would ask of the
// runtime for the agent container — host PID namespace, user, capabilities (all dropped
// but the added ones), read-only root filesystem, no privilege escalation, the runtime's
// default seccomp profile, the volumes, the service account — so a test runs the image as
// the DaemonSet would. Volumes the API server fills (ConfigMap, Secret) become files in a
// scratch directory; host paths may be redirected (the data directory to a scratch one);
// the service account's token, CA and namespace (what the kubelet mounts, with the
// KUBERNETES_SERVICE_* environment) are the test's, for its emulated API server. A setting
// this translation does not know is an error, never silently dropped.
//
// RuntimeDefault seccomp is the runtime's own profile, and runtimes differ exactly where
// the bpftrace overlay is concerned: containerd >= 1.7 and containers-common >= 0.60
// (CRI-O, podman 5) allow bpf(2) to a container holding CAP_BPF and perf_event_open(2) to
// one holding CAP_PERFMON; older containers-common (Debian 12's podman 4.3) allows both
// only with CAP_SYS_ADMIN. The translation runs podman's installed profile with those two
// rules as the current runtimes have them, and nothing else changed (see
// runtimeDefaultSeccomp).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Obj = Record<string, unknown>;

export interface PodmanPod {
  /** `podman run` arguments up to the image (not included) */
  flags: string[];
  /** the container's args (after the image) */
  args: string[];
  /** what the pod asks for, for the test's messages */
  caps: string[];
}

export interface PodmanOptions {
  /** the ConfigMaps and Secrets the pod mounts: name → files */
  configMaps: Record<string, Record<string, string>>;
  secrets: Record<string, Record<string, string>>;
  /** fieldRef values for env (metadata.name, spec.nodeName, …) */
  fields: Record<string, string>;
  /** host path → path to mount instead (e.g. the data directory → a scratch one) */
  hostPathOverrides?: Record<string, string>;
  /** where ConfigMap/Secret files and plain emptyDirs are written */
  scratch: string;
  /** the container to run (default: the first) */
  container?: string;
  /** capabilities to remove from the pod's, to show one is needed */
  withoutCaps?: string[];
  /** what the kubelet gives a pod that mounts its service account token: the directory
   * holding token, ca.crt and namespace, and the environment (KUBERNETES_SERVICE_HOST/PORT) */
  serviceAccount?: { dir: string; env: Record<string, string> };
}

/** where the kubelet mounts the service account */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** podman's default seccomp profile (Debian: golang-github-containers-common) */
export const PODMAN_SECCOMP = '/usr/share/containers/seccomp.json';

interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  includes?: { caps?: string[] };
  excludes?: { caps?: string[] };
  [k: string]: unknown;
}

/**
 * RuntimeDefault as current runtimes have it (see the header): podman's installed
 * profile, with bpf and perf_event_open allowed by CAP_BPF and CAP_PERFMON besides
 * CAP_SYS_ADMIN, and refused with EPERM without either. A profile that already has the
 * CAP_BPF rule is used unchanged. Returns the profile's path (written under `dir`).
 */
export function runtimeDefaultSeccomp(dir: string): string {
  if (!existsSync(PODMAN_SECCOMP)) throw new Error(`RuntimeDefault seccomp: no ${PODMAN_SECCOMP} to start from`);
  const profile = JSON.parse(readFileSync(PODMAN_SECCOMP, 'utf8')) as { syscalls: SeccompRule[] };
  const gated: [string, string][] = [
    ['bpf', 'CAP_BPF'],
    ['perf_event_open', 'CAP_PERFMON'],
  ];
  const hasCapRule = profile.syscalls.some((r) => r.names.includes('bpf') && r.includes?.caps?.includes('CAP_BPF'));
  if (!hasCapRule) {
    const adminOnly = (r: SeccompRule) => (r.includes?.caps ?? []).join() === 'CAP_SYS_ADMIN' || (r.excludes?.caps ?? []).join() === 'CAP_SYS_ADMIN';
    const syscalls: SeccompRule[] = [];
    for (const r of profile.syscalls) {
      const names = adminOnly(r) ? r.names.filter((n) => !gated.some(([s]) => s === n)) : r.names;
      if (names.length > 0) syscalls.push({ ...r, names });
    }
    for (const [name, cap] of gated) {
      syscalls.push(
        { names: [name], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: [name], action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] }, excludes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN', cap] } },
      );
    }
    profile.syscalls = syscalls;
  }
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/seccomp-runtime-default.json`;
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

const KNOWN_CONTAINER_KEYS = new Set(['name', 'image', 'args', 'env', 'ports', 'securityContext', 'resources', 'readinessProbe', 'livenessProbe', 'volumeMounts']);
const KNOWN_POD_KEYS = new Set(['serviceAccountName', 'automountServiceAccountToken', 'priorityClassName', 'tolerations', 'securityContext', 'containers', 'volumes', 'hostPID']);

export function podmanPod(podSpec: Obj, o: PodmanOptions): PodmanPod {
  for (const k of Object.keys(podSpec)) if (!KNOWN_POD_KEYS.has(k)) throw new Error(`pod spec key ${k}: no podman translation`);
  const containers = podSpec.containers as Obj[];
  const c = o.container === undefined ? containers[0] : containers.find((x) => x.name === o.container)!;
  for (const k of Object.keys(c)) if (!KNOWN_CONTAINER_KEYS.has(k)) throw new Error(`container key ${k}: no podman translation`);
  const psc = (podSpec.securityContext ?? {}) as Obj;
  const sc = (c.securityContext ?? {}) as Obj;
  const flags: string[] = [];
  if (sc.privileged === true) throw new Error('a privileged container: not translated on purpose');
  if (podSpec.hostPID === true) flags.push('--pid=host');
  const user = (sc.runAsUser ?? psc.runAsUser) as number | undefined;
  const group = (sc.runAsGroup ?? psc.runAsGroup) as number | undefined;
  if (user !== undefined) flags.push(`--user=${user}${group !== undefined ? `:${group}` : ''}`);
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) === true && user === 0) throw new Error('runAsNonRoot with runAsUser 0');
  const seccomp = ((sc.seccompProfile ?? psc.seccompProfile) as { type?: string } | undefined)?.type;
  // none set: the kubelet's --seccomp-default decides; not translated
  if (seccomp !== 'RuntimeDefault') throw new Error(`seccompProfile ${seccomp ?? '(none)'}: no podman translation`);
  flags.push(`--security-opt=seccomp=${runtimeDefaultSeccomp(o.scratch)}`);
  if (sc.allowPrivilegeEscalation === false) flags.push('--security-opt=no-new-privileges');
  if (sc.readOnlyRootFilesystem === true) flags.push('--read-only', '--read-only-tmpfs=false');
  const capSpec = (sc.capabilities ?? {}) as { drop?: string[]; add?: string[] };
  if (capSpec.drop?.includes('ALL')) flags.push('--cap-drop=ALL');
  else if (capSpec.drop?.length) flags.push(...capSpec.drop.map((x) => `--cap-drop=${x}`));
  const caps = (capSpec.add ?? []).filter((x) => !(o.withoutCaps ?? []).includes(x));
  flags.push(...caps.map((x) => `--cap-add=${x}`));

  for (const e of (c.env ?? []) as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
    const v = e.value ?? (e.valueFrom?.fieldRef ? o.fields[e.valueFrom.fieldRef.fieldPath] : undefined);
    if (v === undefined) throw new Error(`env ${e.name}: no value for the test`);
    flags.push(`--env=${e.name}=${v}`);
  }
  // automountServiceAccountToken unset: the ServiceAccount's setting decides; not translated
  if (podSpec.automountServiceAccountToken !== false) {
    if (podSpec.automountServiceAccountToken !== true) throw new Error('automountServiceAccountToken unset: no podman translation');
    if (!o.serviceAccount) throw new Error('the pod mounts its service account token: give the test\'s (serviceAccount)');
    flags.push(`--volume=${o.serviceAccount.dir}:${SERVICE_ACCOUNT_DIR}:ro`);
    for (const [k, v] of Object.entries(o.serviceAccount.env)) flags.push(`--env=${k}=${v}`);
  }

  const volumes = new Map(((podSpec.volumes ?? []) as Obj[]).map((v) => [v.name as string, v]));
  for (const m of (c.volumeMounts ?? []) as { name: string; mountPath: string; readOnly?: boolean }[]) {
    const v = volumes.get(m.name);
    if (!v) throw new Error(`volumeMount ${m.name}: no such volume`);
    const ro = m.readOnly === true ? ':ro' : '';
    if (v.configMap || v.secret) {
      const files = v.configMap ? o.configMaps[(v.configMap as { name: string }).name] : o.secrets[(v.secret as { secretName: string }).secretName];
      if (!files) throw new Error(`volume ${m.name}: no content given for the test`);
      const dir = join(o.scratch, `vol-${m.name}`);
      mkdirSync(dir, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text, { mode: 0o644 });
      flags.push(`--volume=${dir}:${m.mountPath}${ro}`);
    } else if (v.hostPath) {
      const p = (v.hostPath as { path: string }).path;
      flags.push(`--volume=${o.hostPathOverrides?.[p] ?? p}:${m.mountPath}${ro}`);
    } else if (v.emptyDir) {
      const e = v.emptyDir as { medium?: string; sizeLimit?: string };
      if (e.medium === 'Memory') flags.push(`--tmpfs=${m.mountPath}:rw,mode=1777${e.sizeLimit ? `,size=${e.sizeLimit.replace(/i$/, '').toLowerCase()}` : ''}`);
      else {
        const dir = join(o.scratch, `empty-${m.name}`);
        mkdirSync(dir, { recursive: true, mode: 0o777 });
        flags.push(`--volume=${dir}:${m.mountPath}`);
      }
    } else throw new Error(`volume ${m.name}: no podman translation`);
  }
  return { flags, args: (c.args ?? []) as string[], caps };
}
