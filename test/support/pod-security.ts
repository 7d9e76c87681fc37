// Pod Security Standards (Kubernetes v1.32, https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// checked on a pod template: every "baseline" control, and "restricted" on top. No npm
// package implements them (the reference is the Go k8s.io/pod-security-admission), so
// each control below is the documented one, field by field; test/support/pod-security.test.ts
// has a passing and a failing pod per control.

export type Level = 'baseline' | 'restricted';

export interface Violation {
  level: Level;
  control: string;
  field: string;
  value: unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** Violations of `level` (restricted includes baseline) by a pod spec and its template metadata. */
export function podSecurityViolations(podSpec: object, podMetadata: object, level: Level): Violation[] {
  const spec = obj(podSpec);
  const metadata = obj(podMetadata);
  const out: Violation[] = [];
  const v = (l: Level, control: string, field: string, value: unknown) => out.push({ level: l, control, field, value });
  const psc = obj(spec.securityContext);
  const containers = (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((k) =>
    arr(spec[k]).map((c, i) => ({ c: obj(c), at: `spec.${k}[${i}]` })),
  );

  // --- baseline
  if (obj(psc.windowsOptions).hostProcess === true) v('baseline', 'HostProcess', 'spec.securityContext.windowsOptions.hostProcess', true);
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k] === true) v('baseline', 'Host Namespaces', `spec.${k}`, true);
  for (const { c, at } of containers) {
    const sc = obj(c.securityContext);
    if (obj(sc.windowsOptions).hostProcess === true) v('baseline', 'HostProcess', `${at}.securityContext.windowsOptions.hostProcess`, true);
    if (sc.privileged === true) v('baseline', 'Privileged Containers', `${at}.securityContext.privileged`, true);
    for (const cap of arr(obj(sc.capabilities).add)) if (!BASELINE_CAPS.has(String(cap))) v('baseline', 'Capabilities', `${at}.securityContext.capabilities.add`, cap);
    for (const [j, p] of arr(c.ports).entries()) {
      const hp = obj(p).hostPort;
      if (hp !== undefined && hp !== 0) v('baseline', 'Host Ports', `${at}.ports[${j}].hostPort`, hp);
    }
    if (obj(sc.appArmorProfile).type === 'Unconfined') v('baseline', 'AppArmor', `${at}.securityContext.appArmorProfile.type`, 'Unconfined');
    selinux(obj(sc.seLinuxOptions), `${at}.securityContext.seLinuxOptions`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v('baseline', '/proc Mount Type', `${at}.securityContext.procMount`, sc.procMount);
    if (obj(sc.seccompProfile).type === 'Unconfined') v('baseline', 'Seccomp', `${at}.securityContext.seccompProfile.type`, 'Unconfined');
  }
  for (const [i, vol] of arr(spec.volumes).entries()) if (obj(vol).hostPath !== undefined) v('baseline', 'HostPath Volumes', `spec.volumes[${i}].hostPath`, obj(vol).hostPath);
  if (obj(psc.appArmorProfile).type === 'Unconfined') v('baseline', 'AppArmor', 'spec.securityContext.appArmorProfile.type', 'Unconfined');
  for (const [k, val] of Object.entries(obj(metadata.annotations))) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && val !== 'runtime/default' && !String(val).startsWith('localhost/'))
      v('baseline', 'AppArmor', `metadata.annotations["${k}"]`, val);
  }
  selinux(obj(psc.seLinuxOptions), 'spec.securityContext.seLinuxOptions');
  if (obj(psc.seccompProfile).type === 'Unconfined') v('baseline', 'Seccomp', 'spec.securityContext.seccompProfile.type', 'Unconfined');
  for (const s of arr(psc.sysctls)) if (!SAFE_SYSCTLS.has(String(obj(s).name))) v('baseline', 'Sysctls', 'spec.securityContext.sysctls[*].name', obj(s).name);
  if (level === 'baseline') return out;

  // --- restricted
  for (const [i, vol] of arr(spec.volumes).entries()) {
    const kinds = Object.keys(obj(vol)).filter((k) => k !== 'name');
    for (const k of kinds) if (!RESTRICTED_VOLUMES.has(k)) v('restricted', 'Volume Types', `spec.volumes[${i}].${k}`, k);
  }
  for (const { c, at } of containers) {
    const sc = obj(c.securityContext);
    if (sc.allowPrivilegeEscalation !== false) v('restricted', 'Privilege Escalation', `${at}.securityContext.allowPrivilegeEscalation`, sc.allowPrivilegeEscalation);
    // non-root: set on the pod (and not overridden to false) or on every container
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) v('restricted', 'Running as Non-root', `${at}.securityContext.runAsNonRoot`, nonRoot);
    if (sc.runAsUser === 0) v('restricted', 'Running as Non-root user', `${at}.securityContext.runAsUser`, 0);
    const seccomp = obj(sc.seccompProfile).type ?? obj(psc.seccompProfile).type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v('restricted', 'Seccomp', `${at}.securityContext.seccompProfile.type`, seccomp);
    const caps = obj(sc.capabilities);
    if (!arr(caps.drop).includes('ALL')) v('restricted', 'Capabilities', `${at}.securityContext.capabilities.drop`, caps.drop);
    for (const cap of arr(caps.add)) if (cap !== 'NET_BIND_SERVICE') v('restricted', 'Capabilities', `${at}.securityContext.capabilities.add`, cap);
  }
  if (psc.runAsNonRoot === false) v('restricted', 'Running as Non-root', 'spec.securityContext.runAsNonRoot', false);
  if (psc.runAsUser === 0) v('restricted', 'Running as Non-root user', 'spec.securityContext.runAsUser', 0);
  return out;

  function selinux(o: Obj, at: string): void {
    if (o.type !== undefined && !SELINUX_TYPES.has(String(o.type))) v('baseline', 'SELinux', `${at}.type`, o.type);
    if (o.user !== undefined) v('baseline', 'SELinux', `${at}.user`, o.user);
    if (o.role !== undefined) v('baseline', 'SELinux', `${at}.role`, o.role);
  }
}
