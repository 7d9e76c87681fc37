import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cgroupPathFromProc, containerFromProcCgroup, parseProcCgroup } from '../../../collector/enrich/proc-cgroup.ts';

describe('/proc/PID/cgroup parsing', () => {
  const id = 'c'.repeat(64);
  it('parses v2, v1 and hybrid files', () => {
    assert.deepEqual(parseProcCgroup('0::/system.slice/x.service\n'), { unified: '/system.slice/x.service', v1: {} });
    const v1 = parseProcCgroup('2:cpu,cpuacct:/a\n1:name=systemd:/b\n');
    assert.deepEqual(v1, { v1: { cpu: '/a', cpuacct: '/a', 'name=systemd': '/b' } });
    const hy = parseProcCgroup('4:memory:/process_api/1\n1:name=systemd:/\n0::/\n');
    assert.equal(hy.unified, '/');
    assert.equal(hy.v1.memory, '/process_api/1');
  });

  it('keeps colons inside the path (cri-containerd form)', () => {
    const pc = parseProcCgroup(`11:pids:/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:${id}\n`);
    assert.equal(pc.v1.pids, `/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:${id}`);
  });

  it('ignores garbage lines', () => {
    assert.deepEqual(parseProcCgroup('garbage\nx:y\n:\n\n5:cpu:relative\n'), { v1: {} });
  });

  it('picks the unified path, else the systemd hierarchy, never a resource controller of its own', () => {
    assert.equal(cgroupPathFromProc('1:name=systemd:/a\n0::/b\n'), '/b');
    assert.equal(cgroupPathFromProc('4:memory:/process_api/1\n1:name=systemd:/user.slice/u\n0::/\n'), '/user.slice/u');
    assert.equal(cgroupPathFromProc('4:memory:/process_api/1\n1:name=systemd:/\n0::/\n'), '/');
    assert.equal(cgroupPathFromProc('3:pids:/docker/x\n'), '/docker/x');
    assert.equal(cgroupPathFromProc(''), undefined);
  });

  it('finds a container in a v1 hierarchy when the unified path is the root', () => {
    const c = containerFromProcCgroup(`3:pids:/docker/${id}\n0::/\n`);
    assert.equal(c?.id, id);
    assert.equal(c?.runtime, 'docker');
  });

  it('reads this process’s real /proc/self/cgroup', () => {
    const text = readFileSync('/proc/self/cgroup', 'utf8');
    assert.ok(cgroupPathFromProc(text)?.startsWith('/'));
  });
});
