// The Pod Security Standards checker the manifest tests rely on: each control catches
// what it must and lets the allowed values through.
import assert from 'node:assert/strict';
import { podSecurityViolations, type Level } from './pod-security.ts';

const restrictedPod = () => ({
  securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }] },
  containers: [
    {
      name: 'a',
      ports: [{ containerPort: 80 }],
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seLinuxOptions: { type: 'container_t' } },
    },
  ],
  volumes: [{ name: 'c', configMap: { name: 'x' } }, { name: 'e', emptyDir: {} }],
});

type Pod = ReturnType<typeof restrictedPod> & Record<string, unknown>;
const controls = (pod: Pod, level: Level, metadata = {}) => podSecurityViolations(pod, metadata, level).map((x) => x.control);

describe('Pod Security Standards checker (test/support/pod-security.ts)', () => {
  it('a hardened pod passes restricted and baseline', () => {
    assert.deepEqual(controls(restrictedPod(), 'restricted'), []);
    assert.deepEqual(controls(restrictedPod(), 'baseline'), []);
  });

  const baselineCases: [string, string, (p: Pod) => void, Record<string, unknown>?][] = [
    ['HostProcess', 'hostProcess', (p) => Object.assign(p.securityContext, { windowsOptions: { hostProcess: true } })],
    ['Host Namespaces', 'hostPID', (p) => (p.hostPID = true)],
    ['Host Namespaces', 'hostNetwork', (p) => (p.hostNetwork = true)],
    ['Privileged Containers', 'privileged', (p) => Object.assign(p.containers[0].securityContext, { privileged: true })],
    ['Capabilities', 'adds BPF', (p) => p.containers[0].securityContext.capabilities.add.push('BPF')],
    ['HostPath Volumes', 'a hostPath volume', (p) => p.volumes.push({ name: 'h', hostPath: { path: '/' } } as never)],
    ['Host Ports', 'a hostPort', (p) => Object.assign(p.containers[0].ports[0], { hostPort: 80 })],
    ['AppArmor', 'Unconfined profile', (p) => Object.assign(p.containers[0].securityContext, { appArmorProfile: { type: 'Unconfined' } })],
    ['AppArmor', 'unconfined annotation', () => undefined, { annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' } }],
    ['SELinux', 'type spc_t', (p) => Object.assign(p.containers[0].securityContext.seLinuxOptions, { type: 'spc_t' })],
    ['SELinux', 'a user', (p) => Object.assign(p.containers[0].securityContext.seLinuxOptions, { user: 'system_u' })],
    ['/proc Mount Type', 'Unmasked', (p) => Object.assign(p.containers[0].securityContext, { procMount: 'Unmasked' })],
    ['Seccomp', 'Unconfined', (p) => Object.assign(p.securityContext, { seccompProfile: { type: 'Unconfined' } })],
    ['Sysctls', 'an unsafe sysctl', (p) => p.securityContext.sysctls.push({ name: 'kernel.msgmax', value: '1' })],
  ];
  for (const [control, what, breakIt, metadata] of baselineCases) {
    it(`baseline: ${control} (${what})`, () => {
      const p = restrictedPod() as Pod;
      breakIt(p);
      assert.deepEqual(controls(p, 'baseline', metadata), [control]);
    });
  }

  const restrictedCases: [string, string, (p: Pod) => void][] = [
    ['Volume Types', 'an nfs volume', (p) => p.volumes.push({ name: 'n', nfs: { server: 'x', path: '/' } } as never)],
    ['Privilege Escalation', 'allowPrivilegeEscalation unset', (p) => delete (p.containers[0].securityContext as { allowPrivilegeEscalation?: boolean }).allowPrivilegeEscalation],
    ['Running as Non-root', 'runAsNonRoot unset', (p) => delete (p.securityContext as { runAsNonRoot?: boolean }).runAsNonRoot],
    ['Running as Non-root user', 'runAsUser 0', (p) => (p.securityContext.runAsUser = 0)],
    ['Seccomp', 'no seccomp profile', (p) => delete (p.securityContext as { seccompProfile?: unknown }).seccompProfile],
    ['Capabilities', 'ALL not dropped', (p) => (p.containers[0].securityContext.capabilities.drop = [])],
    ['Capabilities', 'adds CHOWN', (p) => p.containers[0].securityContext.capabilities.add.push('CHOWN')],
  ];
  for (const [control, what, breakIt] of restrictedCases) {
    it(`restricted: ${control} (${what})`, () => {
      const p = restrictedPod() as Pod;
      breakIt(p);
      assert.deepEqual(controls(p, 'baseline'), [], 'still baseline');
      assert.deepEqual(controls(p, 'restricted'), [control]);
    });
  }

  it('container-level settings count as the pod-level ones do', () => {
    const p = restrictedPod() as Pod;
    delete (p.securityContext as { runAsNonRoot?: boolean }).runAsNonRoot;
    delete (p.securityContext as { seccompProfile?: unknown }).seccompProfile;
    Object.assign(p.containers[0].securityContext, { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } });
    assert.deepEqual(controls(p, 'restricted'), []);
  });
});
