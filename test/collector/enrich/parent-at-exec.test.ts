// The parent of an exec as it was at the exec (collector/enrich/procs.ts parentAtExec):
// the source reads the parent's name (comm) in the kernel at the exec, attribution checks
// the process it finds under the ppid against it. The race it closes: in
// `sh -c 'gzip -c f > out-$(date +%s%N).gz'` the forked child runs date for the
// redirection, then execs gzip — read from /proc after that, the parent of date is gzip.
import assert from 'node:assert/strict';
import { createProcfsAttribution } from '../../../collector/enrich/attribution.ts';
import { commOfFile, ProcessCache, type ProcReader } from '../../../collector/enrich/procs.ts';
import type { RuntimeEvent } from '../../../collector/event.ts';
import { decodeComm } from '../../../collector/sources/bpftrace/decode.ts';

type Row = { ppid: number; exe: string; comm: string };

/** /proc as a table the test changes as processes exec; counts reads */
function setup(table: Record<number, Row>) {
  const reader: ProcReader & { reads: number[] } = {
    reads: [],
    read(pid) {
      reader.reads.push(pid);
      const e = table[pid];
      return e ? { pid, ppid: e.ppid, exe: e.exe, args: [e.exe], comm: e.comm } : undefined;
    },
  };
  const processes = new ProcessCache({ reader });
  return { step: createProcfsAttribution({ processes }), processes, reader };
}

let t = 1000;
const exec = (pid: number, ppid: number, exe: string, args: string[], parentComm?: string): RuntimeEvent =>
  ({ time: t++, node: 'n', source: 'bpftrace', process: { pid, ppid, exe, args, ...(parentComm !== undefined ? { parentComm } : {}) }, enrichment: 'complete', kind: 'exec' }) as RuntimeEvent;
const lineage = (ev: RuntimeEvent) => ev.process.ancestors?.map((a) => `${a.pid}:${a.exe}`);

describe('attribution: the parent of an exec as it was at the exec', () => {
  const INIT: Row = { ppid: 0, exe: '/sbin/init', comm: 'systemd' };

  it("the lineage race: date's parent, a fork of sh that has since exec'd gzip, is named sh — never gzip", () => {
    // 10: sh -c '…' (seen exec'ing); 11: its fork for the command, not in the cache, which
    // /proc already shows as gzip when date's exec is attributed
    const { step } = setup({ 1: INIT, 11: { ppid: 10, exe: '/usr/bin/gzip', comm: 'gzip' } });
    step.enrich(exec(10, 1, '/bin/sh', ['sh', '-c', 'gzip -c f > out-$(date +%s%N).gz'], 'systemd'));
    const date = exec(12, 11, '/usr/bin/date', ['date', '+%s%N'], 'sh');
    step.enrich(date);
    assert.deepEqual(lineage(date), ['11:/bin/sh', '10:/bin/sh', '1:/sbin/init']);
    assert.deepEqual(date.process.ancestors?.[0].args, ['sh', '-c', 'gzip -c f > out-$(date +%s%N).gz'], 'a fork has its parent\'s argv');
    // then the fork's own exec, and a later event of date: the same lineage
    const gzip = exec(11, 10, '/usr/bin/gzip', ['gzip', '-c', 'f'], 'sh');
    step.enrich(gzip);
    assert.deepEqual(lineage(gzip), ['10:/bin/sh', '1:/sbin/init']);
    const write = { ...exec(12, 11, '', []), kind: 'file_write', path: '/tmp/x', op: 'write' } as RuntimeEvent;
    step.enrich(write);
    assert.equal(write.process.ancestors?.[0].exe, '/bin/sh');
    // a child date starts inherits the corrected chain
    const child = exec(13, 12, '/usr/bin/true', ['true'], 'date');
    step.enrich(child);
    assert.deepEqual(lineage(child), ['12:/usr/bin/date', '11:/bin/sh', '10:/bin/sh', '1:/sbin/init']);
  });

  it('a grandparent of another name: the parent is unknown (no lineage), not a guess', () => {
    const { step } = setup({ 1: INIT, 11: { ppid: 10, exe: '/usr/bin/gzip', comm: 'gzip' } });
    step.enrich(exec(10, 1, '/usr/bin/python3', ['python3', 'job.py'], 'systemd'));
    const date = exec(12, 11, '/usr/bin/date', ['date'], 'sh');
    step.enrich(date);
    assert.equal(date.process.ancestors, undefined);
  });

  it('a parent that renamed itself (prctl PR_SET_NAME) keeps the image its exec named; /proc is read once for it', () => {
    const table: Record<number, Row> = { 1: INIT, 20: { ppid: 1, exe: '/usr/bin/node', comm: 'node' } };
    const { step, reader } = setup(table);
    step.enrich(exec(20, 1, '/usr/bin/node', ['node', 'npm-cli.js', 'ci'], 'systemd'));
    const since = reader.reads.length;
    table[20] = { ...table[20], comm: 'npm ci' };
    const a = exec(21, 20, '/bin/sh', ['sh', '-c', 'make'], 'npm ci');
    step.enrich(a);
    assert.deepEqual(lineage(a), ['20:/usr/bin/node', '1:/sbin/init']);
    assert.deepEqual(reader.reads.slice(since).filter((p) => p === 20), [20]);
    const b = exec(22, 20, '/bin/sh', ['sh', '-c', 'make'], 'npm ci');
    step.enrich(b);
    assert.deepEqual(lineage(b), ['20:/usr/bin/node', '1:/sbin/init']);
    assert.deepEqual(reader.reads.slice(since).filter((p) => p === 20), [20], 'the new name is remembered');
  });

  it('a parent read from /proc before it exec\'d is read again when its name says it changed', () => {
    const table: Record<number, Row> = { 1: INIT, 30: { ppid: 1, exe: '/usr/bin/bash', comm: 'bash' } };
    const { step, processes } = setup(table);
    processes.get(30); // cached as bash
    table[30] = { ppid: 1, exe: '/usr/bin/make', comm: 'make' }; // its exec record not seen (yet)
    const cc = exec(31, 30, '/usr/bin/cc', ['cc'], 'make');
    step.enrich(cc);
    assert.deepEqual(lineage(cc), ['30:/usr/bin/make', '1:/sbin/init']);
  });

  it('a parent named as at the exec costs no /proc read beyond the first', () => {
    const { step, reader } = setup({ 1: INIT });
    step.enrich(exec(40, 1, '/bin/bash', ['bash'], 'systemd'));
    const since = reader.reads.length;
    for (let pid = 41; pid < 50; pid++) step.enrich(exec(pid, 40, '/usr/bin/sleep', ['sleep', '1'], 'bash'));
    assert.deepEqual(reader.reads.slice(since).filter((p) => p === 40 || p === 1), []);
  });

  it('a source without the parent\'s name (auditd, recordings made before) is attributed as before', () => {
    const { step } = setup({ 1: INIT, 11: { ppid: 10, exe: '/usr/bin/gzip', comm: 'gzip' } });
    step.enrich(exec(10, 1, '/bin/sh', ['sh'], undefined));
    const date = exec(12, 11, '/usr/bin/date', ['date'], undefined);
    step.enrich(date);
    assert.deepEqual(lineage(date), ['11:/usr/bin/gzip', '10:/bin/sh', '1:/sbin/init']);
  });

  it('names an exec by its file as the kernel does: the last component, 15 bytes', () => {
    assert.equal(commOfFile('/bin/sh'), 'sh');
    assert.equal(commOfFile('./run.sh'), 'run.sh');
    assert.equal(commOfFile('/usr/lib/postgresql/15/bin/postgres-exporter'), 'postgres-export');
    // a name cut inside a character reads as the source decodes the kernel's 15 bytes
    const kernel = [...Buffer.from('ééééééééé').subarray(0, 15)].map((x) => `\\x${x.toString(16)}`).join('');
    assert.equal(commOfFile('/opt/ééééééééé'), decodeComm(kernel));
  });

  it('a parent gone and its pid reused by a process of the same name started after the exec: unknown, not the stranger', () => {
    // 20: the worker's bash (seen exec'ing); 21: its command substitution's subshell, gone
    // by the time sha1sum's exec is attributed; 21 now another bash, of another tree,
    // started 5 s after that exec
    const table: Record<number, Row> = { 1: INIT, 21: { ppid: 30, exe: '/usr/bin/bash', comm: 'bash' }, 30: { ppid: 1, exe: '/usr/sbin/cron', comm: 'cron' } };
    const at = 1_000_000;
    const reader: ProcReader = {
      read: (pid) => (table[pid] ? { pid, ppid: table[pid].ppid, exe: table[pid].exe, args: [table[pid].exe], comm: table[pid].comm } : undefined),
      startedMs: (pid) => (pid === 21 ? at + 5000 : table[pid] ? 0 : undefined),
    };
    const step = createProcfsAttribution({ processes: new ProcessCache({ reader, now: () => at }) });
    step.enrich({ ...exec(20, 1, '/usr/bin/bash', ['bash', 'worker.sh'], 'systemd'), time: at - 10_000 });
    const sha = { ...exec(22, 21, '/usr/bin/sha1sum', ['sha1sum'], 'bash'), time: at };
    step.enrich(sha);
    assert.deepEqual(lineage(sha) ?? [], [], 'no lineage: an unknown parent raises no lineage alert');
    // the same pid read for an exec after that process started is that process
    const later = { ...exec(23, 21, '/usr/bin/cut', ['cut'], 'bash'), time: at + 6000 };
    step.enrich(later);
    assert.deepEqual(lineage(later), ['21:/usr/bin/bash', '30:/usr/sbin/cron', '1:/sbin/init']);
  });
});
