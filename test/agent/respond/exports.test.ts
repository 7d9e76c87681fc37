// The least-privilege exports as pure functions of baseline snapshots: seccomp,
// NetworkPolicy, writable paths.
import assert from 'node:assert/strict';
import type { BaselineSnapshot } from '../../../models/baseline/baseline.ts';
import type { BaselineKind } from '../../../models/baseline/items.ts';
import { RUNTIME_SYSCALLS, seccompFrom, seccompProfileObject } from '../../../agent/respond/export/seccomp.ts';
import { kubePeer, networkPolicyFrom } from '../../../agent/respond/export/networkpolicy.ts';
import { writableReport } from '../../../agent/respond/export/writable.ts';
import { schemaProblems } from '../../support/k8s-schema.ts';

function snap(container: string, items: Partial<Record<BaselineKind, string[]>>): BaselineSnapshot {
  const out: BaselineSnapshot['items'] = {};
  for (const [k, keys] of Object.entries(items) as [BaselineKind, string[]][]) out[k] = keys.map((key) => ({ key, count: 1, firstSeen: 0, lastSeen: 0, nodes: ['n'] }));
  return {
    key: `shop/Deployment/web#${container}`,
    meta: { workloadId: 'shop/Deployment/web', container, namespace: 'shop', workloadKind: 'Deployment', workloadName: 'web', image: null, version: 1, state: 'stable', createdAt: 0, learningSince: 0, lastNewItemAt: 0, stableSince: 0, lockedBy: null, unstableReason: null, collapsed: {} },
    items: out,
  };
}

describe('agent/respond/export', () => {
  it('seccomp: the learned syscalls plus the runtime set, unnamed numbers left out', () => {
    const x = seccompFrom([snap('app', { syscall: ['read', 'write', 'openat', 'syscall_451'] }), snap('side', { syscall: ['accept4'] })], 'x64');
    const names = x.profile.syscalls[0].names;
    assert.deepEqual(x.profile.architectures, ['SCMP_ARCH_X86_64']);
    assert.equal(x.profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(x.profile.defaultErrnoRet, 1);
    for (const n of ['read', 'write', 'openat', 'accept4', ...RUNTIME_SYSCALLS]) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('syscall_451'));
    assert.deepEqual(x.skipped, ['syscall_451']);
    assert.ok(!x.added.includes('read') && x.added.includes('execve'));
    assert.deepEqual([...names].sort(), names, 'sorted');
    const obj = seccompProfileObject(x.profile, 'web', 'shop', { a: 'b' }) as { apiVersion: string; kind: string; spec: { syscalls: unknown } };
    assert.equal(obj.apiVersion, 'security-profiles-operator.x-k8s.io/v1beta1');
    assert.equal(obj.kind, 'SeccompProfile');
    assert.deepEqual(obj.spec.syscalls, x.profile.syscalls);
  });

  it('NetworkPolicy: ingress ports, egress by peer kind (identity, address, range, DNS, port 53); valid against the Kubernetes schema', async () => {
    const s = snap('app', {
      listen: ['tcp *:8080', 'tcp 127.0.0.1:9000', 'udp pod:5353'],
      connect: ['tcp svc:db/postgres:5432', 'tcp shop/Deployment/api:8080', 'tcp 10.1.2.3:443', 'tcp 10.9.0.0/16:6379', 'tcp [2001:db8::7]:443', 'tcp api.example.com:443', 'udp 10.96.0.10:53', 'tcp 127.0.0.1:8125', 'tcp *:9092', 'unix /run/x.sock:0'],
    });
    const labels = new Map([['svc:db/postgres', { namespace: 'db', podLabels: { app: 'postgres' } }]]);
    const { policy, notes } = networkPolicyFrom([s], { namespace: 'shop', name: 'web', podLabels: { app: 'web' }, resolve: (h) => labels.get(h) });
    const spec = (policy as { spec: { ingress: { ports: unknown[] }[]; egress: { to?: unknown[]; ports: unknown[] }[]; podSelector: unknown } }).spec;
    assert.deepEqual(spec.podSelector, { matchLabels: { app: 'web' } });
    assert.deepEqual(spec.ingress, [{ ports: [{ protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 8080 }] }], 'loopback listeners need no rule');
    const rule = (peer: unknown) => spec.egress.find((r) => JSON.stringify(r.to) === JSON.stringify([peer]));
    assert.deepEqual(rule({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } }, podSelector: { matchLabels: { app: 'postgres' } } })?.ports, [{ protocol: 'TCP', port: 5432 }]);
    assert.deepEqual(rule({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: {} })?.ports, [{ protocol: 'TCP', port: 8080 }], 'a workload peer without labels: its namespace');
    assert.deepEqual(rule({ ipBlock: { cidr: '10.1.2.3/32' } })?.ports, [{ protocol: 'TCP', port: 443 }]);
    assert.deepEqual(rule({ ipBlock: { cidr: '10.9.0.0/16' } })?.ports, [{ protocol: 'TCP', port: 6379 }], 'a learned range');
    assert.deepEqual(rule({ ipBlock: { cidr: '2001:db8::7/128' } })?.ports, [{ protocol: 'TCP', port: 443 }], 'IPv6: /128');
    assert.deepEqual(rule({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } })?.ports, [{ protocol: 'UDP', port: 53 }]);
    assert.deepEqual(spec.egress.find((r) => r.to === undefined)?.ports, [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 9092 }], 'DNS names and * hosts: port only');
    assert.ok(notes.some((n) => /DNS names cannot be NetworkPolicy peers: api\.example\.com/.test(n)));
    assert.ok(notes.some((n) => /unix/.test(n)));
    assert.ok(!JSON.stringify(policy).includes('127.0.0.1'));
    assert.deepEqual(await schemaProblems(policy as Record<string, unknown>), [], 'networking.k8s.io/v1 NetworkPolicy, strict fields');
    assert.deepEqual(kubePeer('svc:db/postgres'), { namespace: 'db', type: 'service', name: 'postgres' });
    assert.deepEqual(kubePeer('shop/Deployment/api'), { namespace: 'shop', type: 'workload', kind: 'Deployment', name: 'api' });
    assert.equal(kubePeer('10.0.0.1'), undefined);
  });

  it('writable paths: pseudo file systems and mounts ignored, one emptyDir per outermost directory; the patch makes a valid pod template', async () => {
    const r = writableReport('shop/Deployment/web', [
      snap('app', { file_write: ['/tmp/*', '/var/cache/nginx/proxy/*', '/var/cache/nginx/client_temp/*', '/proc/*/oom_score_adj', '/dev/null', '/etc/hosts', '/data/db/*', '/etc/nginx/conf.d/default.conf'] }),
    ], ['/data']);
    assert.deepEqual(r.emptyDirs.map((e) => e.mountPath), ['/etc/nginx/conf.d', '/tmp', '/var/cache/nginx/client_temp', '/var/cache/nginx/proxy']);
    assert.match(r.emptyDirs[0].warning ?? '', /hides what the image ships/);
    assert.deepEqual(r.ignored.map((i) => i.path), ['/data/db/*', '/dev/null', '/etc/hosts', '/proc/*/oom_score_adj']);
    assert.deepEqual(r.readOnlyRootFilesystem, { holdsAsIs: false, holdsWithEmptyDirs: true, blockers: [] });
    assert.equal(r.patch.volumes.length, 4);
    assert.deepEqual(r.patch.volumeMounts.map((m) => m.name), ['hw-etc-nginx-conf-d', 'hw-tmp', 'hw-var-cache-nginx-client-temp', 'hw-var-cache-nginx-proxy']);
    // the patch applied to a Deployment's pod template: valid against the Kubernetes schema
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: r.patch.securityContext, volumeMounts: r.patch.volumeMounts }], volumes: r.patch.volumes },
        },
      },
    };
    assert.deepEqual(await schemaProblems(deployment), []);
    const blocked = writableReport('w', [snap('app', { file_write: ['/app.pid'] })]);
    assert.deepEqual(blocked.readOnlyRootFilesystem, { holdsAsIs: false, holdsWithEmptyDirs: false, blockers: ['/app.pid'] });
    assert.equal(writableReport('w', [snap('app', { exec: ['/bin/x'] })]).readOnlyRootFilesystem.holdsAsIs, true);
  });
});
