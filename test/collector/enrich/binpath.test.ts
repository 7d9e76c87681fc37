// One spelling for a binary whichever source named it: resolved inside the process's
// own root (a fake /proc/PID/root here), remembered per root and path.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BinaryPaths } from '../../../collector/enrich/binpath.ts';
import { ProcessCache, procfsReader } from '../../../collector/enrich/procs.ts';
import { BpftraceParser } from '../../../collector/sources/bpftrace/parse.ts';
import { MemoryStats } from '../../../collector/stats.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { parseStat, readProc } from '../../../collector/sources/procfs/proc.ts';

describe('canonical binary paths', () => {
  let dir: string;
  let proc: string;
  let rootfs: string;

  /** a Debian-like root: /bin → usr/bin, sh → dash, python3 → /usr/bin/python3.11 (absolute) */
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-binpath-'));
    proc = join(dir, 'proc');
    rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'usr/bin'), { recursive: true });
    for (const f of ['bash', 'dash', 'curl', 'python3.11']) writeFileSync(join(rootfs, 'usr/bin', f), '');
    symlinkSync('usr/bin', join(rootfs, 'bin'));
    symlinkSync('dash', join(rootfs, 'usr/bin/sh'));
    symlinkSync('/usr/bin/python3.11', join(rootfs, 'usr/bin/python3'));
    mkdirSync(join(rootfs, 'app'));
    writeFileSync(join(rootfs, 'app/run.sh'), '#!/bin/bash\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function processIn(pid: number, o: { exe: string; comm: string; args: string[]; ppid?: number; cwd?: string }): void {
    const d = join(proc, String(pid));
    mkdirSync(d, { recursive: true });
    symlinkSync(rootfs, join(d, 'root'));
    symlinkSync(o.exe, join(d, 'exe'));
    symlinkSync(o.cwd ?? '/', join(d, 'cwd'));
    writeFileSync(join(d, 'cmdline'), o.args.join('\0') + '\0');
    writeFileSync(join(d, 'status'), `Name:\t${o.comm}\nPPid:\t${o.ppid ?? 1}\nUid:\t0\t0\t0\t0\n`);
    writeFileSync(join(d, 'cgroup'), '0::/kubepods.slice/ctr.scope\n');
  }

  it('resolves every symlink inside the process root, absolute targets included', () => {
    processIn(10, { exe: '/usr/bin/bash', comm: 'bash', args: ['bash'] });
    const b = new BinaryPaths({ procRoot: proc, cgroupRoot: null });
    assert.equal(b.canonical('/bin/bash', 10, '/c'), '/usr/bin/bash');
    assert.equal(b.canonical('/bin/sh', 10, '/c'), '/usr/bin/dash');
    assert.equal(b.canonical('/usr/bin/python3', 10, '/c'), '/usr/bin/python3.11', 'the target is in the root, not the node');
    assert.equal(b.canonical('/usr/bin/../bin/curl', 10, '/c'), '/usr/bin/curl');
    assert.equal(b.canonical('/app/run.sh', 10, '/c'), '/app/run.sh');
  });

  it('remembers per root and path; a gone process falls back to its parent, else stays as it was', () => {
    processIn(10, { exe: '/usr/bin/bash', comm: 'bash', args: ['bash'] });
    const b = new BinaryPaths({ procRoot: proc, cgroupRoot: null });
    assert.equal(b.canonical('/bin/curl', 99, '/c', [10]), '/usr/bin/curl', 'the parent shares the root');
    const n = b.resolved;
    assert.equal(b.canonical('/bin/curl', 98, '/c'), '/usr/bin/curl', 'remembered for that root');
    assert.equal(b.resolved, n);
    assert.equal(b.canonical('/bin/curl', 98, '/other'), '/bin/curl', 'another root, nobody left to ask');
    assert.equal(b.size, 1, 'an unresolved path is not remembered');
    assert.equal(b.canonical('memfd:x (deleted)', 10, '/c'), 'memfd:x (deleted)');
  });

  it("a cgroup seen on the node's root is resolved there once its processes are gone; one with its own root is not", () => {
    const own = join(dir, 'own');
    mkdirSync(join(own, 'bin'), { recursive: true });
    writeFileSync(join(own, 'bin/true'), '');
    processIn(1, { exe: '/usr/bin/bash', comm: 'init', args: ['init'] });
    processIn(10, { exe: '/usr/bin/bash', comm: 'bash', args: ['bash'] });
    processIn(20, { exe: '/bin/true', comm: 'sh', args: ['sh'] });
    rmSync(join(proc, '20/root'));
    symlinkSync(own, join(proc, '20/root'));
    const b = new BinaryPaths({ procRoot: proc, cgroupRoot: null });
    assert.equal(b.canonical('/bin/bash', 10, '/job'), '/usr/bin/bash', 'seen alive once');
    assert.equal(b.canonical('/bin/true', 11, '/job', [12]), '/bin/true', 'no such file on the node root either: as it was');
    writeFileSync(join(rootfs, 'usr/bin/true'), '');
    assert.equal(b.canonical('/bin/true', 11, '/job', [12]), '/usr/bin/true', 'gone, and its parent too: the node root answers');
    assert.equal(b.canonical('/bin/true', 20, '/own'), '/bin/true', 'resolved in its own root (a real /bin)');
    assert.equal(b.canonical('/bin/bash', 21, '/own'), '/bin/bash', 'a root of its own, nobody left: never the node root');
  });

  it("without pid 1's root to read, a cgroup seen on the agent's own root is resolved there once its processes are gone", () => {
    // no /proc/1 here (a sandbox's init hides its root): the agent's own root stands in
    processIn(10, { exe: '/usr/bin/bash', comm: 'bash', args: ['bash'] });
    mkdirSync(join(proc, 'self'), { recursive: true });
    symlinkSync(rootfs, join(proc, 'self/root'));
    const b = new BinaryPaths({ procRoot: proc, cgroupRoot: null });
    assert.equal(b.canonical('/bin/sh', 10, '/job'), '/usr/bin/dash', 'seen alive once');
    rmSync(join(proc, '10'), { recursive: true });
    assert.equal(b.canonical('/bin/bash', 11, '/job', [10]), '/usr/bin/bash', 'all gone: the agent\'s root answers');
    // a cgroup with a root of its own is not the agent's
    const own = join(dir, 'own');
    mkdirSync(join(own, 'bin'), { recursive: true });
    writeFileSync(join(own, 'bin/true'), '');
    processIn(20, { exe: '/bin/true', comm: 'true', args: ['true'] });
    rmSync(join(proc, '20/root'));
    symlinkSync(own, join(proc, '20/root'));
    assert.equal(b.canonical('/bin/true', 20, '/own'), '/bin/true');
    rmSync(join(proc, '20'), { recursive: true });
    writeFileSync(join(rootfs, 'usr/bin/true'), '');
    assert.equal(b.canonical('/bin/sh', 21, '/own'), '/bin/sh', 'nobody left, a root of its own: not resolved in the agent\'s');
  });

  it('is bounded', () => {
    processIn(10, { exe: '/usr/bin/bash', comm: 'bash', args: ['bash'] });
    const b = new BinaryPaths({ procRoot: proc, cgroupRoot: null, max: 2 });
    for (const p of ['/bin/bash', '/bin/curl', '/bin/dash']) b.canonical(p, 10, '/c');
    assert.equal(b.size, 2);
  });

  it('gives exec records, /proc and lineage the same spelling across sources', () => {
    // a bash loop (started as /bin/bash) running curl; its script-run child run.sh
    processIn(20, { exe: '/usr/bin/bash', comm: 'bash', args: ['/bin/bash', '-c', 'while :; do curl x; done'] });
    processIn(21, { exe: '/usr/bin/curl', comm: 'curl', args: ['curl', 'x'], ppid: 20 });
    processIn(22, { exe: '/usr/bin/bash', comm: 'run.sh', args: ['/bin/bash', './run.sh'], ppid: 20, cwd: '/app' });
    const cache = new ProcessCache({ reader: procfsReader(proc), binaries: new BinaryPaths({ procRoot: proc, cgroupRoot: null }) });
    // bpftrace: the exec's file name as run
    const p = new BpftraceParser({ node: 'n', stats: new MemoryStats(), toEpochMs: (ns) => ns / 1e6, cgroupPath: () => '/kubepods.slice/ctr.scope' });
    const out: RuntimeEvent[] = [];
    for (const l of [
      { type: 'printf', data: 'X\t1000\t20\t20\t1\t7\t0\t1\t0\t/bin/bash\n' },
      { type: 'printf', data: 'X\t2000\t21\t21\t20\t7\t0\t1\t0\t/usr/bin/curl\n' },
    ])
      p.line(JSON.stringify(l), out);
    for (const ev of out) cache.recordExecEvent(ev);
    assert.equal(out[0].process.exe, '/usr/bin/bash', 'the exec event itself is spelled canonically');
    assert.equal(cache.ancestors(21)[0].exe, '/usr/bin/bash', 'and so is the lineage built from it');
    // a fresh cache that only knows the parent from /proc: the same spelling
    const fresh = new ProcessCache({ reader: procfsReader(proc) });
    assert.equal(fresh.ancestors(21)[0].exe, '/usr/bin/bash');
    // auditd reports exe= as the kernel resolved it: already that spelling, kept
    const audit = { kind: 'exec', time: 1, node: 'n', source: 'auditd', enrichment: 'complete', process: { pid: 21, ppid: 20, exe: '/usr/bin/curl', args: ['curl'] }, cgroup: { path: '/kubepods.slice/ctr.scope' } } as RuntimeEvent;
    cache.recordExecEvent(audit);
    assert.equal(audit.process.exe, '/usr/bin/curl');
    // a script run directly: /proc names the interpreter, the exec named the script;
    // read from /proc it is the script too
    assert.equal(fresh.get(22)?.exe, '/app/run.sh');
    // and so does the procfs source's own reading of the process
    const stat = parseStat('22 (run.sh) S 20 22 22 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0')!;
    assert.equal(readProc(proc, 22, stat).exe, '/app/run.sh');
  });
});
