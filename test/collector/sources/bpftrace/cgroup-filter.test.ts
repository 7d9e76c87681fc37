// The kernel side of cgroupPrefixes: a superset of the string-prefix filter, made from
// the directories that exist, added to every tracepoint probe of the program.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupPredicate, filterProbes } from '../../../../collector/sources/bpftrace/cgroup-filter.ts';
import { buildProgram } from '../../../../collector/sources/bpftrace/program.ts';

describe('bpftrace cgroup filter in the kernel', () => {
  let root: string;
  const ino = (p: string): string => String(statSync(join(root, p)).ino);
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hw-cgf-'));
    for (const d of ['kubepods.slice/kubepods-besteffort.slice', 'system.slice', 'user.slice', 'init.scope']) mkdirSync(join(root, d), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a first-level prefix: not the root cgroup, and none of the first-level directories it cannot match', () => {
    const p = cgroupPredicate(['/kubepods'], root)!;
    assert.match(p, /->level >= 1/);
    for (const d of ['system.slice', 'user.slice', 'init.scope']) assert.ok(p.includes(`->ancestors)[1]->kn->id != ${ino(d)}`), d);
    assert.ok(!p.includes(ino('kubepods.slice')));
  });

  it('a deeper prefix: below its parent directory', () => {
    const p = cgroupPredicate(['/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod'], root)!;
    assert.equal(p, `(((struct cgroup *)curtask->cgroups->dfl_cgrp)->level > 2 && ((struct cgroup **)((struct cgroup *)curtask->cgroups->dfl_cgrp)->ancestors)[2]->kn->id == ${ino('kubepods.slice/kubepods-besteffort.slice')})`);
  });

  it('several prefixes are ORed; one the kernel cannot narrow leaves all to the parser', () => {
    assert.match(cgroupPredicate(['/kubepods', '/system.slice/docker'], root)!, /^\(\(.*\) \|\| \(.*\)\)$/);
    assert.equal(cgroupPredicate(['/kubepods', '/no/such/parent/x'], root), undefined);
    assert.equal(cgroupPredicate(['/'], root), undefined);
    assert.equal(cgroupPredicate([], root), undefined);
  });

  it('every tracepoint probe of the program gets it, after a predicate it already has', () => {
    const text = 'tracepoint:a:b\n{\n}\ntracepoint:c:d /args->x == 1/\n{\n}\ninterval:s:5\n{\n}\nBEGIN\n{\n}\n';
    assert.equal(filterProbes(text, 'P'), 'tracepoint:a:b /P/\n{\n}\ntracepoint:c:d /(args->x == 1) && P/\n{\n}\ninterval:s:5\n{\n}\nBEGIN\n{\n}\n');
    assert.equal(filterProbes(text, undefined), text);
    const prog = buildProgram({ intervalS: 5, hasTracepoint: () => true, cgroupPredicate: 'CGF' }).text;
    const probes = prog.split('\n').filter((l) => l.startsWith('tracepoint:'));
    assert.ok(probes.length >= 15);
    for (const l of probes) assert.ok(l.includes('CGF'), l);
  });
});
