import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildProgram, splitBlocks, PROGRAM_FILE } from '../../../../collector/sources/bpftrace/program.ts';
import { mountedTargets } from '../../../../collector/sources/bpftrace/tracefs.ts';
import { prefixFilter } from '../../../../collector/sources/bpftrace/index.ts';
import source from '../../../../collector/sources/bpftrace/index.ts';

describe('bpftrace program builder', () => {
  const text = readFileSync(PROGRAM_FILE, 'utf8');

  it('every probe block of the shipped program says which tracepoints it needs', () => {
    const { header, blocks } = splitBlocks(text);
    assert.ok(!/^\s*(tracepoint|kprobe|interval|BEGIN)/m.test(header), 'no probe before the first @needs');
    assert.ok(blocks.length >= 12);
    for (const b of blocks) for (const tp of b.needs) assert.match(tp, /^[a-z_]+\/[a-z0-9_]+$/);
    assert.ok(!/kprobe|kretprobe|kfunc|fentry/.test(text.replace(/\/\/.*$/gm, '')), 'tracepoints only');
  });

  it('keeps all blocks on a full kernel and fills in the interval', () => {
    const p = buildProgram({ intervalS: 7, hasTracepoint: () => true });
    assert.deepEqual(p.missing, []);
    assert.ok(p.text.includes('interval:s:7'));
    assert.ok(!p.text.includes('__INTERVAL_S__'));
    for (const tp of ['sched:sched_process_exec', 'syscalls:sys_enter_openat2', 'sock:inet_sock_set_state', 'raw_syscalls:sys_enter']) {
      assert.ok(p.text.includes(`tracepoint:${tp}`), tp);
    }
  });

  it('drops the blocks whose tracepoints the kernel lacks', () => {
    const p = buildProgram({ intervalS: 10, hasTracepoint: (tp) => tp !== 'syscalls/sys_enter_fchmodat2' && tp !== 'syscalls/sys_enter_openat2' });
    assert.deepEqual(p.missing.sort(), ['syscalls/sys_enter_fchmodat2', 'syscalls/sys_enter_openat2']);
    assert.ok(!p.text.includes('sys_enter_fchmodat2'));
    assert.ok(!p.text.includes('sys_enter_openat2'));
    assert.ok(p.text.includes('sys_enter_fchmodat\n'));
  });

  it('parses mount tables for tracefs/debugfs', () => {
    const m = 'tracefs /sys/kernel/tracing tracefs rw 0 0\nproc /proc proc rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\n';
    assert.deepEqual(mountedTargets(m, 'tracefs'), ['/sys/kernel/tracing']);
    assert.deepEqual(mountedTargets(m, 'debugfs'), ['/sys/kernel/debug']);
    assert.deepEqual(mountedTargets('', 'tracefs'), []);
  });

  it('filters cgroups by prefix', () => {
    const f = prefixFilter(['/kubepods.slice'])!;
    assert.equal(f('1', '/kubepods.slice/a/b'), true);
    assert.equal(f('1', '/kubepods.slice'), true);
    assert.equal(f('1', '/system.slice/x'), false);
    assert.equal(f('1', undefined), false);
    // the last answer is kept for the same path, not for another one
    assert.equal(f('2', '/system.slice/x'), false);
    assert.equal(f('1', '/kubepods.slice/a/b'), true);
    assert.equal(f('1', '/kubepods.slice/a/b'), true);
    assert.equal(f('3', '/kubepods.slicex'), true);
    assert.equal(f('4', '/kube'), false);
    const two = prefixFilter(['/kubepods', '/system.slice/containerd.service'])!;
    assert.deepEqual(['/system.slice/containerd.service/x', '/system.slice/y', '/kubepods/burstable/p1'].map((p) => two('1', p)), [true, false, true]);
    assert.equal(prefixFilter([]), undefined);
  });

  it('defaults validate against the schema shape', () => {
    const props = (source.configSchema as { properties: Record<string, unknown> }).properties;
    for (const k of Object.keys(source.defaults)) assert.ok(k in props, k);
  });
});

describe('bpftrace program builder: options', () => {
  it('leaves out the syscall aggregation when it is switched off', () => {
    const p = buildProgram({ intervalS: 10, hasTracepoint: () => true, exclude: ['raw_syscalls/sys_enter'] });
    assert.ok(!p.text.includes('raw_syscalls'));
    assert.ok(!p.text.includes('@sc'));
    assert.ok(p.text.includes('sched_process_exec'));
    assert.deepEqual(p.missing, []);
  });
});
