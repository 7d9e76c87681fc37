import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { cgroup2Available, createTestContainer } from '../support/cgroup.ts';
import { isRoot, requireComponent } from '../support/env.ts';

describe('e2e: test cgroup helper', () => {
  it('runs a process inside a Kubernetes-style container scope and cleans up', async function () {
    requireComponent(this, isRoot() && cgroup2Available(), 'root and a cgroup v2 mount');
    const c = createTestContainer();
    try {
      const r = await c.run('cat /proc/self/cgroup');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`0::${c.path.replace(/[.]/g, '\\.')}`));
      assert.match(c.path, /cri-containerd-[0-9a-f]{64}\.scope$/);
    } finally {
      await c.remove();
    }
    assert.equal(existsSync(c.abs), false);
    assert.ok(readFileSync('/proc/self/cgroup', 'utf8').length > 0);
  });
});
