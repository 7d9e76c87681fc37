import assert from 'node:assert/strict';
import { createProcfsAttribution } from '../../../collector/enrich/attribution.ts';
import { CgroupIdMap } from '../../../collector/enrich/cgroupid.ts';
import { ProcessCache, type ProcReader } from '../../../collector/enrich/procs.ts';
import { createEnricher } from '../../../collector/enrich/index.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';

const ID = 'd'.repeat(64);
const PATH = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-${ID}.scope`;

function setup(procTable: Record<number, { ppid: number; exe: string; cgroupText?: string }> = {}) {
  const reader: ProcReader = {
    read(pid) {
      const e = procTable[pid];
      if (!e) return undefined;
      return { pid, ppid: e.ppid, exe: e.exe, args: [e.exe], ...(e.cgroupText ? { cgroupText: e.cgroupText, cgroupPath: e.cgroupText.split('::')[1]?.trim() } : {}) };
    },
  };
  const processes = new ProcessCache({ reader });
  const cgroupIds = new CgroupIdMap({ root: '/nonexistent' });
  cgroupIds.set('4242', PATH);
  return { step: createProcfsAttribution({ processes, cgroupIds }), processes };
}

const base = (over: Partial<RuntimeEvent>): RuntimeEvent =>
  ({ time: 1, node: 'n', source: 'bpftrace', process: { pid: 50, exe: '', args: [] }, enrichment: 'complete', kind: 'exec', ...over }) as RuntimeEvent;

describe('procfsAttribution step', () => {
  it('resolves cgroup id → path → container, and ancestry from exec events', () => {
    const { step } = setup({ 1: { ppid: 0, exe: '/sbin/init' } });
    const parent = base({ process: { pid: 40, ppid: 1, exe: '/bin/sh', args: ['sh'] }, cgroup: { id: '4242' } });
    const child = base({ process: { pid: 50, ppid: 40, exe: '/bin/true', args: ['true'] }, cgroup: { id: '4242' } });
    const enricher = createEnricher([step]);
    enricher.enrich([parent, child]);
    assert.equal(child.cgroup?.path, PATH);
    assert.deepEqual(child.container, { id: ID, runtime: 'containerd' });
    assert.equal(child.workload?.id, `host/container/${ID}`);
    assert.deepEqual(child.process.ancestors?.map((a) => a.exe), ['/bin/sh', '/sbin/init']);
  });

  it('fills the cgroup path and exe of a pid-only event from /proc', () => {
    const { step } = setup({ 77: { ppid: 1, exe: '/usr/sbin/nginx', cgroupText: `0::${PATH}\n` }, 1: { ppid: 0, exe: '/sbin/init' } });
    const ev = base({ kind: 'file_write', path: '/etc/x', op: 'write', process: { pid: 77, exe: '', args: [] } } as Partial<RuntimeEvent>);
    step.enrich(ev);
    assert.equal(ev.cgroup?.path, PATH);
    assert.equal(ev.process.exe, '/usr/sbin/nginx');
    assert.deepEqual(ev.process.ancestors?.map((a) => a.exe), ['/sbin/init']);
  });

  it('finds the container in a v1 hierarchy on hybrid hosts', () => {
    const { step } = setup({ 88: { ppid: 1, exe: '/x', cgroupText: `3:pids:/docker/${ID}\n0::/\n` } });
    const ev = base({ process: { pid: 88, exe: '/x', args: ['x'] } });
    step.enrich(ev);
    assert.deepEqual(ev.container, { id: ID, runtime: 'docker' });
  });

  it('leaves events of gone processes alone without throwing', () => {
    const { step } = setup();
    const ev = base({ kind: 'connect', proto: 'tcp', dstAddr: '127.0.0.1', dstPort: 1, process: { pid: 999, exe: 'curl', args: [] } } as Partial<RuntimeEvent>);
    step.enrich(ev);
    assert.equal(ev.process.exe, 'curl');
    assert.equal(ev.cgroup, undefined);
  });
});
