// The parent of an exec when what /proc or the cache says now is not what the kernel saw
// at the exec (collector/enrich/procs.ts parentAtExec, adopted, forkOf). The worker's
// `h=$(printf … | sha1sum | cut …)`: sha1sum's and cut's parent is the command
// substitution's subshell, a fork of the worker's bash that never execs. When the worker
// is stopped (a restart: SIGTERM to its bash) while that subshell runs, the subshell is
// adopted by the reaper, and read from /proc it names the reaper for a parent: known
// binaries "executed by" the reaper, a parent they never had — the short scenario suite's
// intermittent false positive; and a pid reused by such a subshell may still have an
// earlier holder's exec entry in the cache. The bpftrace exec record (P) carries the
// parent's own parent at the exec (parentPpid) and whether the parent was a fork that had
// not exec'd (parentForked), which settle it.
import assert from 'node:assert/strict';
import { createProcfsAttribution } from '../../../collector/enrich/attribution.ts';
import { ProcessCache, type ProcReader } from '../../../collector/enrich/procs.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { lineageExe } from '../../../models/baseline/lineage.ts';

type Row = { ppid: number; exe: string; comm: string; args?: string[] };

const AT = 5_000_000;
const INIT: Row = { ppid: 0, exe: '/sbin/init', comm: 'systemd' };
const NODE: Row = { ppid: 1, exe: '/usr/bin/node', comm: 'node' };
const WORKER = ['/bin/bash', '/app/worker.sh'];

/** /proc as a table the test changes; every process in it started long before AT */
function setup(table: Record<number, Row>) {
  const reader: ProcReader = {
    read: (pid) => (table[pid] ? { pid, ppid: table[pid].ppid, exe: table[pid].exe, args: table[pid].args ?? [table[pid].exe], comm: table[pid].comm } : undefined),
    startedMs: (pid) => (table[pid] ? 0 : undefined),
    exists: (pid) => table[pid] !== undefined,
  };
  const processes = new ProcessCache({ reader, now: () => AT });
  return { step: createProcfsAttribution({ processes }), processes };
}

let t = AT;
const exec = (pid: number, ppid: number, exe: string, args: string[], parentComm: string, parentPpid?: number, parentForked?: boolean): RuntimeEvent =>
  ({
    time: t++,
    node: 'n',
    source: 'bpftrace',
    process: { pid, ppid, exe, args, parentComm, ...(parentPpid !== undefined ? { parentPpid, parentForked: parentForked === true } : {}) },
    enrichment: 'complete',
    kind: 'exec',
  }) as RuntimeEvent;
const lineage = (ev: RuntimeEvent) => ev.process.ancestors?.map((a) => `${a.pid}:${a.exe}`);
const WORKER_LINEAGE = ['21:/usr/bin/bash', '20:/usr/bin/bash', '5:/usr/bin/node', '1:/sbin/init'];
/** the worker's bash (20), exec'd by node (5) */
const worker = (): Record<number, Row> => ({ 1: INIT, 5: NODE, 20: { ppid: 5, exe: '/usr/bin/bash', comm: 'bash', args: WORKER } });

describe('attribution: a parent adopted or gone since the exec (the parent\'s parent from the kernel)', () => {
  it('the subshell (a fork) is its forker\'s, whatever /proc shows now; adopted by the reaper before the exec, it is unknown', () => {
    const table = worker();
    const { step } = setup(table);
    step.enrich(exec(20, 5, '/usr/bin/bash', WORKER, 'node', 1, false));
    // the worker stopped after sha1sum's exec, before it is attributed: /proc shows the
    // subshell (21) adopted by init
    delete table[20];
    table[21] = { ppid: 1, exe: '/usr/bin/bash', comm: 'bash', args: WORKER };
    const sha = exec(22, 21, '/usr/bin/sha1sum', ['sha1sum'], 'bash', 20, true);
    step.enrich(sha);
    assert.deepEqual(lineage(sha), WORKER_LINEAGE);
    assert.deepEqual(sha.process.ancestors?.[0].args, WORKER, 'a fork has its forker\'s argv');
    assert.equal(lineageExe(sha.process.ancestors), '/usr/bin/node', 'judged by the worker\'s parent, as learned');
    // cut exec'd after the adoption: the kernel names init as the subshell's parent, not
    // a bash: the forker is unknown, and so is the lineage — never init
    const cut = exec(23, 21, '/usr/bin/cut', ['cut', '-c1-8'], 'bash', 1, true);
    step.enrich(cut);
    assert.equal(lineageExe(cut.process.ancestors), undefined);
  });

  it('a subshell\'s pid last exec\'d by a bash of another tree: a fork of the worker, never the stranger', () => {
    // 21 exec'd `bash other.sh` under cron a while ago (its entry still cached), exited;
    // the pid space wrapped and the worker's subshell got 21, gone again by the time
    // sha1sum's exec is attributed
    const table: Record<number, Row> = { ...worker(), 30: { ppid: 1, exe: '/usr/sbin/cron', comm: 'cron' } };
    const { step } = setup(table);
    step.enrich(exec(30, 1, '/usr/sbin/cron', ['cron'], 'systemd', 0, false));
    step.enrich(exec(21, 30, '/usr/bin/bash', ['bash', '/etc/other.sh'], 'cron', 1, false));
    step.enrich(exec(20, 5, '/usr/bin/bash', WORKER, 'node', 1, false));
    const sha = exec(22, 21, '/usr/bin/sha1sum', ['sha1sum'], 'bash', 20, true);
    step.enrich(sha);
    assert.deepEqual(lineage(sha), WORKER_LINEAGE);
    // and its later events carry the same lineage
    const write = { ...exec(22, 21, '', [], 'bash'), kind: 'file_write', path: '/tmp/x', op: 'write' } as RuntimeEvent;
    step.enrich(write);
    assert.deepEqual(lineage(write), WORKER_LINEAGE);
  });

  it('a fork whose forker has another name is unknown; without the parent\'s parent (recordings made before, auditd) as before', () => {
    const { step } = setup(worker());
    step.enrich(exec(20, 5, '/usr/bin/bash', WORKER, 'node', 1, false));
    const other = exec(26, 25, '/usr/bin/date', ['date'], 'python3', 20, true);
    step.enrich(other);
    assert.equal(other.process.ancestors, undefined);
    const old = exec(28, 27, '/usr/bin/sha1sum', ['sha1sum'], 'bash');
    step.enrich(old);
    assert.equal(old.process.ancestors, undefined);
  });

  it('a pre-fork server\'s worker renamed since its fork (prctl) is the server\'s fork: /proc shows it with the server\'s executable', () => {
    const GUNICORN = ['/usr/bin/python3', '/usr/local/bin/gunicorn', 'app:wsgi'];
    const table: Record<number, Row> = { 1: INIT, 5: NODE, 60: { ppid: 5, exe: '/usr/bin/python3', comm: 'gunicorn: maste', args: GUNICORN } };
    const { step } = setup(table);
    step.enrich(exec(60, 5, '/usr/bin/python3', GUNICORN, 'node', 1, false));
    table[61] = { ppid: 60, exe: '/usr/bin/python3', comm: 'gunicorn: worke', args: ['gunicorn: worker [app:wsgi]'] };
    const sh = exec(62, 61, '/usr/bin/dash', ['sh', '-c', 'convert x'], 'gunicorn: worke', 60, true);
    step.enrich(sh);
    assert.deepEqual(lineage(sh), ['61:/usr/bin/python3', '60:/usr/bin/python3', '5:/usr/bin/node', '1:/sbin/init']);
    assert.deepEqual(sh.process.ancestors?.[0].args, ['gunicorn: worker [app:wsgi]']);
  });

  it('a process adopted after its own exec keeps the lineage its exec named while it lives; gone, it is unknown', () => {
    // 40: sh (gone since); 41: app, exec'd by that sh, adopted by init, still running
    const table: Record<number, Row> = { 1: INIT, 40: { ppid: 1, exe: '/usr/bin/dash', comm: 'sh' } };
    const { step } = setup(table);
    step.enrich(exec(40, 1, '/usr/bin/dash', ['sh', '-c', 'app &'], 'systemd', 0, false));
    step.enrich(exec(41, 40, '/usr/bin/app', ['app'], 'sh', 1, false));
    delete table[40];
    table[41] = { ppid: 1, exe: '/usr/bin/app', comm: 'app' };
    const child = exec(42, 41, '/usr/bin/curl', ['curl'], 'app', 1, false);
    step.enrich(child);
    assert.deepEqual(lineage(child), ['41:/usr/bin/app', '40:/usr/bin/dash', '1:/sbin/init']);
    // gone: its entry may be an earlier holder's of the pid (another parent than the kernel's)
    delete table[41];
    const late = exec(43, 41, '/usr/bin/curl', ['curl'], 'app', 1, false);
    step.enrich(late);
    assert.equal(late.process.ancestors, undefined);
  });

  it('a process read from /proc (exec\'d before the agent started) adopted since a child\'s exec: its lineage is through the kernel\'s parent, and stays so', () => {
    const table: Record<number, Row> = { 1: INIT, 5: NODE, 50: { ppid: 5, exe: '/usr/bin/python3', comm: 'python3', args: ['python3', 'app.py'] } };
    const { step } = setup(table);
    const a = exec(51, 50, '/usr/bin/sh', ['sh', '-c', 'x'], 'python3', 5, false);
    step.enrich(a);
    assert.deepEqual(lineage(a), ['50:/usr/bin/python3', '5:/usr/bin/node', '1:/sbin/init']);
    // node exits; python3 adopted by init; a child exec'd before that, attributed after
    table[50] = { ...table[50], ppid: 1 };
    delete table[5];
    const b = exec(52, 50, '/usr/bin/sh', ['sh', '-c', 'y'], 'python3', 5, false);
    step.enrich(b);
    assert.deepEqual(lineage(b), ['50:/usr/bin/python3', '5:/usr/bin/node', '1:/sbin/init']);
    // a child exec'd after the adoption: the kernel names init; python3 keeps its parent
    const c = exec(53, 50, '/usr/bin/sh', ['sh', '-c', 'z'], 'python3', 1, false);
    step.enrich(c);
    assert.deepEqual(lineage(c), ['50:/usr/bin/python3', '5:/usr/bin/node', '1:/sbin/init']);
  });

  it('the execs of one fork have its ancestry; another fork its own; a new image of the forker, its', () => {
    const table = worker();
    const { step } = setup(table);
    step.enrich(exec(20, 5, '/usr/bin/bash', WORKER, 'node', 1, false));
    const a = exec(22, 21, '/usr/bin/sha1sum', ['sha1sum'], 'bash', 20, true);
    const b = exec(23, 21, '/usr/bin/cut', ['cut', '-c1-8'], 'bash', 20, true);
    step.enrich(a);
    step.enrich(b);
    assert.deepEqual(lineage(a), WORKER_LINEAGE);
    assert.deepEqual(lineage(b), WORKER_LINEAGE);
    // another fork of the worker: its own ancestry
    const c = exec(25, 24, '/usr/bin/tr', ['tr'], 'bash', 20, true);
    step.enrich(c);
    assert.deepEqual(lineage(c), ['24:/usr/bin/bash', '20:/usr/bin/bash', '5:/usr/bin/node', '1:/sbin/init']);
    // the worker exec'd another script: its forks are that image's
    const again = ['/bin/bash', '/app/other.sh'];
    table[20] = { ppid: 5, exe: '/usr/bin/bash', comm: 'bash', args: again };
    step.enrich(exec(20, 5, '/usr/bin/bash', again, 'node', 1, false));
    const d = exec(26, 21, '/usr/bin/sha1sum', ['sha1sum'], 'bash', 20, true);
    step.enrich(d);
    assert.deepEqual(d.process.ancestors?.[0].args, again);
  });
});
