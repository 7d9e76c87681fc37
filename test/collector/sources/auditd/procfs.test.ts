import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupV2Path, procReader, rowOfInode } from '../../../../collector/sources/auditd/procfs.ts';

const TCP =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n';
const UDP =
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  '  1: 0100007F:A1B2 06064206:0035 01 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0\n';

describe('auditd /proc lookups', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hw-fakeproc-'));
    mkdirSync(join(root, '42', 'fd'), { recursive: true });
    mkdirSync(join(root, '42', 'net'));
    writeFileSync(join(root, '42', 'cgroup'), '4:memory:/x\n0::/kubepods.slice/a.scope\n');
    symlinkSync('socket:[12345]', join(root, '42', 'fd', '3'));
    symlinkSync('socket:[777]', join(root, '42', 'fd', '4'));
    symlinkSync('/dev/null', join(root, '42', 'fd', '5'));
    writeFileSync(join(root, '42', 'net', 'tcp'), TCP);
    writeFileSync(join(root, '42', 'net', 'tcp6'), '');
    writeFileSync(join(root, '42', 'net', 'udp'), UDP);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads the cgroup v2 path, undefined for gone processes or v1-only', () => {
    const p = procReader(root);
    assert.equal(p.cgroupPath(42), '/kubepods.slice/a.scope');
    assert.equal(p.cgroupPath(43), undefined);
    assert.equal(cgroupV2Path('1:cpu:/\n'), undefined);
  });

  it('finds a listener port and UDP sockets through the fd inode', () => {
    const p = procReader(root);
    assert.equal(p.listenPort(42, 3), 8080);
    assert.equal(p.listenPort(42, 5), undefined);
    assert.equal(p.listenPort(99, 3), undefined);
    assert.equal(p.socketProto(42, 4, 53), 'udp');
    // same fd but connected elsewhere: reused since the audited connect
    assert.equal(p.socketProto(42, 4, 54), undefined);
    assert.equal(p.socketProto(42, 3, 0), undefined);
    assert.deepEqual(rowOfInode(UDP, '777'), { localPort: 0xa1b2, remotePort: 53 });
  });
});
