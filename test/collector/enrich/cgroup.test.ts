// Conformance of cgroup → container-id extraction against real captures in
// ../shared/fixtures/cgroup (read in place), plus the runtime/pod-UID details.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerFromCgroupPath, podUidFromCgroupPath } from '../../../collector/enrich/cgroup.ts';
import { containerFromProcCgroup } from '../../../collector/enrich/proc-cgroup.ts';
import { SHARED_FIXTURES, requireSharedFixtures } from '../../support/env.ts';

const CG = join(SHARED_FIXTURES, 'cgroup');
const tsv = (file: string): string[][] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'));

describe('conformance: container id from /proc/PID/cgroup (neuvector captures)', () => {
  it('matches the expected id of every capture (first expected value = from the cgroup file)', function () {
    requireSharedFixtures(this);
    let checked = 0;
    for (const [file, , expected = ''] of tsv(join(CG, 'neuvector', 'index.tsv'))) {
      if (expected === '(none)') continue; // neuvector tests for those look at the mountinfo only
      const want = expected.split(',')[0];
      const got = containerFromProcCgroup(readFileSync(join(CG, 'neuvector', file), 'utf8'));
      assert.equal(got?.id ?? '', want, file);
      checked++;
    }
    assert.ok(checked >= 24, `checked ${checked}`);
  });

  it('names the runtime and pod of the Kubernetes captures', function () {
    requireSharedFixtures(this);
    const read = (f: string) => containerFromProcCgroup(readFileSync(join(CG, 'neuvector', f), 'utf8'));
    assert.deepEqual(read('TestContainerd_Container_Cgroupv2.cgroup'), {
      id: '25d057a4c6c9555f2a0eb106e8896968c28f1c44aca4754174851aca7f89ad26',
      runtime: 'containerd',
      podUid: '9493223b-520e-4a97-a45f-359dcf967006',
    });
    assert.equal(read('TestK8sCrio_v1_19.cgroup')?.runtime, 'cri-o');
    assert.equal(read('TestK8sCrio_v1_17.cgroup')?.podUid, '487a0dc6dccaeefbcfedba7a7ce1ca18'); // static pod
    assert.equal(read('TestDockerIDKubepods2.cgroup')?.runtime, 'docker');
    assert.equal(read('TestDockerIDUbuntu.cgroup')?.runtime, 'docker');
    assert.equal(read('TestK8sContainerd_v1_4_4.cgroup')?.runtime, 'containerd');
    assert.equal(read('TestK8sContainerd_v1_4_4.cgroup')?.podUid, '2105e389-7471-476e-a50f-6074cef29bbd');
    assert.equal(read('TestDockerIDKubepods.cgroup')?.podUid, '74ba62da-1a3d-11e7-bb11-080027cb0e22');
  });

  it('reads the full cgroup v1 file of qard-container-info', function () {
    requireSharedFixtures(this);
    const c = containerFromProcCgroup(readFileSync(join(CG, 'qard-container-info', 'cgroup'), 'utf8'));
    assert.equal(c?.id, '34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376');
    assert.equal(c?.podUid, '74c13223-5a00-11e9-b385-42010a80018d');
  });
});

describe('conformance: tetragon cgroup cases', () => {
  it('finds the expected container id prefix in every case that names one', function () {
    requireSharedFixtures(this);
    let checked = 0;
    for (const [line, , prefix] of tsv(join(CG, 'tetragon', 'procsFindDockerId-cases.tsv'))) {
      // a bare path or a /proc/PID/cgroup line: both go through the same parser
      const text = line.startsWith('/') ? `0::${line}` : line;
      const got = containerFromProcCgroup(text);
      if (prefix === '(empty)') {
        // Tetragon leaves kind/minikube node services (init.scope, containerd.service
        // under the node's docker scope) unattributed; we attribute them to the node
        // container, which is what they run in. Only id-less paths must give nothing.
        if (!/[0-9a-f]{64}/.test(line)) assert.equal(got, undefined, line);
        continue;
      }
      assert.ok(got, line);
      assert.ok(got.id.startsWith(prefix), `${line}: ${got.id} vs ${prefix}`);
      checked++;
    }
    assert.ok(checked >= 20, `checked ${checked}`);
  });

  it('extracts pod UID and container id like the runtime hooks do', function () {
    requireSharedFixtures(this);
    for (const [path, pod, id] of tsv(join(CG, 'tetragon', 'rthooks-podid-containerid-cases.tsv'))) {
      const c = containerFromCgroupPath(path);
      assert.equal(c?.id, id, path);
      assert.equal(c?.podUid, pod.replaceAll('_', '-'), path);
    }
  });
});

describe('containerFromCgroupPath', () => {
  const id = 'a'.repeat(64);
  it('knows each runtime under systemd and cgroupfs drivers', () => {
    const cases: [string, string][] = [
      [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1_2.slice/cri-containerd-${id}.scope`, 'containerd'],
      [`/kubepods.slice/kubepods-burstable.slice/x.slice/crio-${id}.scope`, 'cri-o'],
      [`/kubepods/besteffort/pod1/crio-${id}`, 'cri-o'],
      [`/kubepods.slice/x.slice/docker-${id}.scope`, 'docker'],
      [`/docker/${id}`, 'docker'],
      [`/machine.slice/libpod-${id}.scope/container`, 'podman'],
      [`/kubepods/besteffort/pod1/${id}`, 'unknown'],
      [`/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:${id}`, 'containerd'],
    ];
    for (const [path, runtime] of cases) {
      const c = containerFromCgroupPath(path);
      assert.equal(c?.id, id, path);
      assert.equal(c?.runtime, runtime, path);
    }
  });

  it('takes the innermost container of a nested node (kind)', () => {
    const outer = 'b'.repeat(64);
    const c = containerFromCgroupPath(`/system.slice/docker-${outer}.scope/kubelet/kubepods/burstable/pod09a70ae9ccc491e651e5c773579b3490/${id}`);
    assert.equal(c?.id, id);
    assert.equal(c?.podUid, '09a70ae9ccc491e651e5c773579b3490');
  });

  it('gives no container for conmon, host services and the root', () => {
    assert.equal(containerFromCgroupPath(`/machine.slice/libpod-conmon-${id}.scope`), undefined);
    assert.equal(containerFromCgroupPath(`/kubepods.slice/x.slice/crio-conmon-${id}.scope`), undefined);
    assert.equal(containerFromCgroupPath('/system.slice/sshd.service'), undefined);
    assert.equal(containerFromCgroupPath('/'), undefined);
    assert.equal(containerFromCgroupPath(''), undefined);
  });

  it('finds the pod UID on pod-level paths too', () => {
    assert.equal(podUidFromCgroupPath('/kubepods.slice/kubepods-pod22949dce_fd8b_4a4b_9f0c_7b8c8a8b8c8d.slice'), '22949dce-fd8b-4a4b-9f0c-7b8c8a8b8c8d');
    assert.equal(podUidFromCgroupPath('/system.slice/x.service'), undefined);
  });
});
