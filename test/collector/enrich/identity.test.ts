// The identity step works out a cgroup path's container and standalone workload once and
// shares them among the path's events; what it gives is what the old per-event steps gave.
import assert from 'node:assert/strict';
import { IdentityStep } from '../../../collector/enrich/identity.ts';
import { standaloneWorkload } from '../../../collector/enrich/workload.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';

const ID = 'e'.repeat(64);
const POD = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-${ID}.scope`;
const ev = (path: string | undefined, over: Partial<RuntimeEvent> = {}): RuntimeEvent =>
  ({ time: 1, node: 'n1', source: 'bpftrace', kind: 'exec', enrichment: 'complete', process: { pid: 1, exe: '/x', args: [] }, ...(path !== undefined ? { cgroup: { id: '7', path } } : {}), ...over }) as RuntimeEvent;

describe('enrich identity step', () => {
  it('a container scope: its container and Container workload, shared by the path’s events', () => {
    const step = new IdentityStep();
    const a = ev(POD);
    const b = ev(POD);
    step.enrich(a);
    step.enrich(b);
    assert.deepEqual(a.container, { id: ID, runtime: 'containerd' });
    assert.deepEqual(a.workload, { id: `host/container/${ID}`, kind: 'Container', name: ID.slice(0, 12), container: ID.slice(0, 12) });
    assert.equal(b.container, a.container);
    assert.equal(b.workload, a.workload);
  });

  it('a systemd service and the host root: workloads named after the path and the node', () => {
    const step = new IdentityStep();
    const svc = ev('/system.slice/nginx.service');
    const root = ev('/');
    const none = ev(undefined);
    for (const e of [svc, root, none]) step.enrich(e);
    assert.equal(svc.container, undefined);
    assert.deepEqual(svc.workload, { id: 'host/cgroup/system.slice/nginx.service', kind: 'Cgroup', name: 'nginx.service', container: 'nginx.service' });
    assert.deepEqual(root.workload, { id: 'host/cgroup/', kind: 'Host', name: 'n1', container: 'host' });
    assert.deepEqual(none.workload, root.workload);
    const other = ev('/', { node: 'n2' });
    step.enrich(other);
    assert.equal(other.workload?.name, 'n2');
  });

  it('keeps what earlier steps or the source set', () => {
    const step = new IdentityStep();
    const named = ev(POD, { workload: { id: 'shop/Deployment/web', kind: 'Deployment', name: 'web', container: 'app' } });
    step.enrich(named);
    assert.equal(named.workload?.id, 'shop/Deployment/web');
    assert.equal(named.container?.id, ID);
    const fromSource = ev(POD, { container: { id: 'f'.repeat(64), runtime: 'cri-o', name: 'app', image: 'img:1' } });
    step.enrich(fromSource);
    assert.deepEqual(fromSource.workload, standaloneWorkload(fromSource));
    assert.equal(fromSource.workload?.name, 'app');
  });

  it('stays within its bound', () => {
    const step = new IdentityStep(4);
    for (let i = 0; i < 20; i++) {
      const e = ev(`/system.slice/s${i}.service`);
      step.enrich(e);
      assert.equal(e.workload?.name, `s${i}.service`);
    }
    assert.ok((step as unknown as { byPath: Map<string, unknown> }).byPath.size <= 4);
  });
});
