import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupIdMap, cgroup2RootFromMountinfo } from '../../../collector/enrich/cgroupid.ts';

describe('cgroup id → path map', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hw-cgid-'));
    mkdirSync(join(root, 'kubepods.slice', 'pod.slice'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const ino = (p: string) => String(statSync(p).ino);

  it('maps directory inode numbers to paths relative to the mount', () => {
    const m = new CgroupIdMap({ root });
    assert.equal(m.lookup(ino(root)), '/');
    assert.equal(m.lookup(ino(join(root, 'kubepods.slice', 'pod.slice'))), '/kubepods.slice/pod.slice');
    assert.equal(m.scans, 1);
  });

  it('rescans on a miss for a cgroup created later, at most once per interval', () => {
    let now = 1000;
    const m = new CgroupIdMap({ root, minRescanMs: 100, now: () => now });
    assert.equal(m.lookup('999999999'), undefined);
    assert.equal(m.scans, 1);
    const fresh = join(root, 'kubepods.slice', 'new.scope');
    mkdirSync(fresh);
    assert.equal(m.lookup(ino(fresh)), undefined, 'rate-limited');
    assert.equal(m.scans, 1);
    now += 150;
    assert.equal(m.lookup(ino(fresh)), '/kubepods.slice/new.scope');
    assert.equal(m.scans, 2);
    assert.equal(m.lookup(ino(fresh)), '/kubepods.slice/new.scope');
    assert.equal(m.scans, 2, 'hits do not scan');
  });

  it("resolves a new cgroup from a process in it at once, rate limit or not (a container's first exec)", () => {
    let now = 1000;
    const proc = join(root, 'proc');
    const m = new CgroupIdMap({ root, minRescanMs: 100, now: () => now, procRoot: proc });
    assert.equal(m.lookup('999999999'), undefined); // a scan just ran: the next one is rate-limited
    const fresh = join(root, 'kubepods.slice', 'ctr.scope');
    mkdirSync(fresh);
    mkdirSync(join(proc, '42'), { recursive: true });
    writeFileSync(join(proc, '42', 'cgroup'), '0::/kubepods.slice/ctr.scope\n');
    assert.equal(m.lookup(ino(fresh), 42), '/kubepods.slice/ctr.scope');
    assert.equal(m.scans, 1, 'no rescan needed');
    assert.equal(m.lookup(ino(fresh)), '/kubepods.slice/ctr.scope', 'remembered');
    // a process whose cgroup is another one (moved, or a reused pid) proves nothing
    const other = join(root, 'kubepods.slice', 'other.scope');
    mkdirSync(other);
    assert.equal(m.lookup(ino(other), 42), undefined);
    // and a pid that is gone is not read again within the interval
    assert.equal(m.lookup('123456', 77), undefined);
    now += 150;
    assert.equal(m.lookup(ino(other)), '/kubepods.slice/other.scope', 'the rescan still finds it');
  });

  it('survives a missing root', () => {
    const m = new CgroupIdMap({ root: join(root, 'nope') });
    assert.equal(m.lookup('1'), undefined);
  });

  it('finds the cgroup2 mount in mountinfo (hybrid and unified hosts)', () => {
    const hybrid =
      '30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n' +
      '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n' +
      '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n';
    assert.equal(cgroup2RootFromMountinfo(hybrid), '/sys/fs/cgroup/unified');
    assert.equal(cgroup2RootFromMountinfo('35 24 0:30 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw\n'), '/sys/fs/cgroup');
    assert.equal(cgroup2RootFromMountinfo('35 24 0:30 / /my\\040cg rw - cgroup2 none rw\n'), '/my cg');
    assert.equal(cgroup2RootFromMountinfo('garbage\n'), undefined);
  });
});
