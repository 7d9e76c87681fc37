// The records habitwatch.bt prints since issue 13: H (argv in hex), O (opens: writes and
// sensitive reads), W truncate and chmod details, the @scp syscall map with pids.
import assert from 'node:assert/strict';
import { BpftraceParser, type ParserDeps } from '../../../../collector/sources/bpftrace/parse.ts';
import type { EventOf, RuntimeEvent } from '../../../../collector/event.ts';
import { of, parseAll } from './helpers.ts';
import { MemoryStats } from '../../../../collector/stats.ts';

const rec = (data: string): string => JSON.stringify({ type: 'printf', data: data + '\n' });


describe('bpftrace records: argv in hex', () => {
  it('reads the argument area byte for byte: a literal \\x41 stays four characters', () => {
    const area = Buffer.from('/bin/echo\0a\\x41b\0\xc3\xa9\0', 'latin1');
    const hex = [...area].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const { out, stats } = parseAll([rec(`H\t7\t99\t0\t${hex}`), rec(`X\t1000\t7\t7\t1\t5\t0\t99\t${area.length}\t/bin/echo`)]);
    assert.equal(stats.totalBad(), 0);
    assert.deepEqual(out[0].process.args, ['/bin/echo', 'a\\x41b', 'é']);
  });
  it('a chunk that is not hex is bad input, and the argv is marked partial', () => {
    const { out, stats } = parseAll([rec('H\t7\t99\t0\tzz 00'), rec('X\t1000\t7\t7\t1\t5\t0\t99\t2\t/bin/x')]);
    assert.equal(stats.snap.bad.bpftrace?.bad_argv_record, 1);
    assert.equal(out[0].enrichment, 'partial');
  });
});

describe('bpftrace records: argv waiting for its exec record (argv-records.ts)', () => {
  const hexOf = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const h = (tid: number, start: number, idx: number, argv: string): string => rec(`H\t${tid}\t${start}\t${idx}\t${hexOf(argv)}`);
  const x = (tid: number, start: number, len: number, exe: string): string => rec(`X\t1000\t${tid}\t${tid}\t1\t5\t0\t${start}\t${len}\t${exe}`);

  it('the same command line run again shares one argv array, decoded once', () => {
    const a = 'sh\0-c\0curl -s localhost:8080/healthz\0';
    const { out, stats } = parseAll([h(7, 99, 0, a), x(7, 99, Buffer.byteLength(a), '/bin/sh'), h(8, 99, 0, a), x(8, 99, Buffer.byteLength(a), '/bin/sh')]);
    assert.equal(stats.totalBad(), 0);
    assert.deepEqual(out[0].process.args, ['sh', '-c', 'curl -s localhost:8080/healthz']);
    assert.equal(out[1].process.args, out[0].process.args);
    assert.equal(out[0].enrichment, 'complete');
  });

  it('records of several execs interleaved (other CPUs between), chunks of a long argv, a lost exec record', () => {
    const long = 'x'.repeat(179) + '\0' + 'y'.repeat(20) + '\0';
    const b = Buffer.from(long);
    const lines = [
      h(1, 10, 0, 'one\0'),
      h(2, 20, 0, 'two\0'),
      x(2, 20, 4, '/bin/two'),
      h(3, 30, 0, b.subarray(0, 180).toString('latin1')),
      x(1, 10, 4, '/bin/one'),
      rec(`H\t3\t30\t1\t${[...b.subarray(180)].map((v) => v.toString(16).padStart(2, '0')).join(' ')}`),
      x(3, 30, b.length, '/bin/three'),
      h(4, 40, 0, 'lost\0'), // its exec record lost: the next argv of that thread replaces it
      h(4, 41, 0, 'four\0'),
      x(4, 41, 5, '/bin/four'),
      h(5, 50, 0, 'five\0'),
      x(5, 51, 5, '/bin/five'), // another area: not its argv
    ];
    const { out, stats } = parseAll(lines);
    assert.equal(stats.totalBad(), 0);
    const byExe = new Map(out.map((e) => [e.process.exe, e]));
    assert.deepEqual(byExe.get('/bin/one')?.process.args, ['one']);
    assert.deepEqual(byExe.get('/bin/two')?.process.args, ['two']);
    assert.deepEqual(byExe.get('/bin/three')?.process.args, ['x'.repeat(179), 'y'.repeat(20)]);
    assert.equal(byExe.get('/bin/three')?.enrichment, 'complete');
    assert.deepEqual(byExe.get('/bin/four')?.process.args, ['four']);
    assert.deepEqual(byExe.get('/bin/five')?.process.args, []);
    assert.equal(byExe.get('/bin/five')?.enrichment, 'partial');
    assert.equal(stats.snap.dropped.bpftrace?.unpaired_argv, 2);
  });

  it('an argv whose later chunk never came is partial; one left at the end is counted', () => {
    const b = Buffer.from('z'.repeat(200) + '\0');
    const { out, stats } = parseAll([h(6, 60, 0, b.subarray(0, 180).toString('latin1')), x(6, 60, b.length, '/bin/six'), h(9, 90, 0, 'left\0')]);
    assert.equal(out[0].enrichment, 'partial');
    assert.equal(out[0].process.args[0], 'z'.repeat(180) + '…');
    assert.equal(stats.snap.dropped.bpftrace?.unpaired_argv, 1);
  });
});

describe('bpftrace records: exec with the parent\'s comm (E)', () => {
  it('carries the parent\'s name at the exec; a file name with a tab stays whole', () => {
    const { out, stats } = parseAll([
      rec('E\t1000\t7\t7\t6\t5\t0\t99\t0\tsh\\x00\\x00\t/usr/bin/date'),
      rec('E\t1001\t8\t8\t6\t5\t0\t99\t0\tsh\t/tmp/a\tb'),
      rec('E\t1002\t9\t9\t2\t5\t0\t99\t0\t\\x00\t/usr/bin/x'),
    ]);
    assert.equal(stats.totalBad(), 0);
    assert.deepEqual(
      out.map((e) => [e.process.exe, e.process.ppid, e.process.parentComm]),
      [['/usr/bin/date', 6, 'sh'], ['/tmp/a\tb', 6, 'sh'], ['/usr/bin/x', 2, undefined]],
    );
  });
  it('X (recordings made before) has no parent comm; an E record without a file name is bad input', () => {
    const { out, stats } = parseAll([rec('X\t1000\t7\t7\t6\t5\t0\t99\t0\t/usr/bin/date'), rec('E\t1000\t7\t7\t6\t5\t0\t99\t0\tsh')]);
    assert.equal(out.length, 1);
    assert.equal(out[0].process.parentComm, undefined);
    assert.equal(stats.snap.bad.bpftrace?.bad_exec_record, 1);
  });
});

describe('bpftrace records: exec with the parent\'s parent (P)', () => {
  it('carries the parent\'s own parent, whether it is a fork, and its name at the exec; the rest reads as an E record', () => {
    const { out, stats } = parseAll([
      rec('P\t1000\t7\t7\t6\t3\t64\t5\t0\t99\t0\tbash\\x00\t/usr/bin/sha1sum'),
      rec('P\t1001\t8\t8\t6\t0\t0\t5\t0\t99\t0\tsh\t/tmp/a\tb'),
    ]);
    assert.equal(stats.totalBad(), 0);
    assert.deepEqual(
      out.map((e) => [e.process.exe, e.process.ppid, e.process.parentPpid, e.process.parentForked, e.process.parentComm]),
      [['/usr/bin/sha1sum', 6, 3, true, 'bash'], ['/tmp/a\tb', 6, 0, false, 'sh']],
    );
  });
  it('a P record whose parent\'s parent or fork flag is not a number is bad input', () => {
    const { out, stats } = parseAll([
      rec('P\t1000\t7\t7\t6\tx\t0\t5\t0\t99\t0\tbash\t/usr/bin/sha1sum'),
      rec('P\t1000\t7\t7\t6\t3\t-1\t5\t0\t99\t0\tbash\t/usr/bin/sha1sum'),
      rec('P\t1000'),
    ]);
    assert.equal(out.length, 0);
    assert.equal(stats.snap.bad.bpftrace?.bad_exec_record, 3);
  });
});

describe('bpftrace records: opens', () => {
  const deps = { resolvePath: (_pid: number, dfd: number, p: string) => (dfd === -100 ? `/work/${p}` : undefined) };
  it('kind 1 is a write with its flags; O_TRUNC stays visible', () => {
    const { out } = parseAll([rec('O\t1000\t5\t5\t1\t9\t0\t1\t577\t-100\tsh\\x00\t/var/log/app.log')], deps);
    const w = of(out, 'file_write')[0];
    assert.equal(w.op, 'create');
    assert.deepEqual(w.flags, ['O_WRONLY', 'O_CREAT', 'O_TRUNC']);
    assert.equal(w.process.exe, 'sh');
  });
  it('kinds 2, 3 and 4 are reads of listed paths: relative to a root cwd, or checked here when the kernel could not', () => {
    const { out, p } = parseAll(
      [
        rec('O\t1000\t5\t5\t1\t9\t0\t2\t524288\t-100\tcat\t/etc/shadow'),
        rec('O\t1001\t5\t5\t1\t9\t0\t4\t0\t-100\tcat\tetc/gshadow'),
        rec('O\t1002\t5\t5\t1\t9\t0\t3\t0\t-100\tcat\t/proc/12/environ'),
        rec('O\t1003\t5\t5\t1\t9\t0\t3\t0\t-100\tcat\t/etc/hostname'),
      ],
      deps,
    );
    const reads = of(out, 'file_open');
    assert.deepEqual(
      reads.map((e) => e.path),
      ['/etc/shadow', '/etc/gshadow', '/proc/12/environ'],
    );
    assert.deepEqual(reads[0].flags, ['O_RDONLY', 'O_CLOEXEC']);
    assert.equal(p.counts.filtered_reads, 1, '/etc/hostname is not listed');
  });
  it('matches with the configured list', () => {
    const { out } = parseAll([rec('O\t1000\t5\t5\t1\t9\t0\t3\t0\t-100\tcat\t/srv/keys/a.pem'), rec('O\t1000\t5\t5\t1\t9\t0\t3\t0\t-100\tcat\t/etc/shadow')], {
      sensitivePaths: ['/srv/keys/'],
    });
    assert.deepEqual(
      of(out, 'file_open').map((e) => e.path),
      ['/srv/keys/a.pem'],
    );
  });
  it('a relative read that cannot be resolved is dropped, not guessed', () => {
    const { out } = parseAll([rec('O\t1000\t5\t5\t1\t9\t0\t3\t0\t3\tcat\tshadow')], deps);
    assert.equal(of(out, 'file_open').length, 0);
  });
});

describe('bpftrace records: write details', () => {
  it('chmod carries the mode (setuid visible), truncate(2) is a write with O_TRUNC', () => {
    const { out } = parseAll([rec(`W\t1000\t5\t5\t1\t9\t0\tchmod\t${0o4755}\t-100\tchmod\t/usr/local/bin/x`), rec('W\t1001\t5\t5\t1\t9\t0\ttruncate\t512\t-100\ttruncate\t/root/.bash_history')]);
    const [ch, tr] = of(out, 'file_write');
    assert.equal(ch.op, 'chmod');
    assert.equal(ch.mode, 0o4755);
    assert.equal(tr.op, 'write');
    assert.deepEqual(tr.flags, ['O_WRONLY', 'O_TRUNC']);
  });
});

describe('bpftrace records: syscall sets with the calling process', () => {
  it('@scp: one event per cgroup and pid, marked aggregated', () => {
    const map = JSON.stringify({ type: 'map', data: { '@scp': { '9,101': 300, '9,0': 300, '9,1': 301, '8,0': 400 } } });
    const { out } = parseAll([rec('T\t5000000'), map]);
    const sc = of(out, 'syscall').map((e) => [e.cgroup?.id, e.process.pid, e.names.join(','), e.aggregated]);
    assert.deepEqual(sc, [
      ['9', 300, 'ptrace,read', true],
      ['9', 301, 'write', true],
      ['8', 400, 'read', true],
    ]);
  });
  it('@sc (older recordings: counts, not pids): one event per cgroup, pid 0, still marked aggregated', () => {
    const map = JSON.stringify({ type: 'map', data: { '@sc': { '9,101': 3, '9,0': 7 } } });
    const { out } = parseAll([map]);
    const [e] = of(out, 'syscall');
    assert.equal(e.process.pid, 0);
    assert.equal(e.aggregated, true);
    assert.deepEqual(e.names, ['ptrace', 'read']);
  });
  it("the agent's own bpftrace is not reported", () => {
    const map = JSON.stringify({ type: 'map', data: { '@scp': { '9,0': 55, '9,1': 56 } } });
    const { out } = parseAll([map], { ignorePid: (pid) => pid === 55 });
    assert.deepEqual(
      of(out, 'syscall').map((e) => e.process.pid),
      [56],
    );
  });
});

describe('bpftrace records: the working directory a process changed to (D)', () => {
  // resolvePath stands for /proc/PID/cwd: undefined, the process is gone (a short-lived backend)
  const gone: Partial<ParserDeps> = { resolvePath: () => undefined };
  const write = (t: number, pid: number, ppid: number, path: string): string => rec(`O\t${t}\t${pid}\t${pid}\t${ppid}\t9\t0\t1\t577\t-100\tpostgres\t${path}`);
  it('a relative path of a process gone before its record is read resolves through the directory it changed to', () => {
    const { out, stats } = parseAll([rec('D\t999\t5\t1\t/tmp/pg'), write(1000, 5, 1, 'pg_stat/pgstat.tmp')], gone);
    assert.equal(stats.totalBad(), 0);
    const w = of(out, 'file_write');
    assert.deepEqual(w.map((e) => [e.path, e.enrichment]), [['/tmp/pg/pg_stat/pgstat.tmp', 'complete']]);
  });
  it('a relative chdir continues from the directory before it; . and .. are resolved', () => {
    const { out } = parseAll([rec('D\t999\t5\t1\t/tmp/pg/'), rec('D\t999\t5\t1\tbase/../global'), write(1000, 5, 1, './pg_control')], gone);
    assert.deepEqual(of(out, 'file_write').map((e) => e.path), ['/tmp/pg/global/pg_control']);
  });
  it('another process under the pid (another parent) does not take the directory: relative and partial, as before', () => {
    const { out } = parseAll([rec('D\t999\t5\t1\t/tmp/pg'), write(1000, 5, 77, 'pg_stat/pgstat.tmp')], gone);
    assert.deepEqual(of(out, 'file_write').map((e) => [e.path, e.enrichment]), [['pg_stat/pgstat.tmp', 'partial']]);
  });
  it('an exec keeps the directory (cd, then exec); an exec of the pid by another parent forgets it', () => {
    const exec = (t: number, pid: number, ppid: number): string => rec(`P\t${t}\t${pid}\t${pid}\t${ppid}\t0\t0\t9\t0\t99\t0\tsh\t/usr/bin/x`);
    const kept = parseAll([rec('D\t999\t5\t1\t/srv'), exec(1000, 5, 1), write(1001, 5, 1, 'out.log')], gone);
    assert.deepEqual(of(kept.out, 'file_write').map((e) => e.path), ['/srv/out.log']);
    const reused = parseAll([rec('D\t999\t5\t1\t/srv'), exec(1000, 5, 2), write(1001, 5, 1, 'out.log')], gone);
    assert.deepEqual(of(reused.out, 'file_write').map((e) => e.path), ['out.log']);
  });
  it('a fork that never changed directory, gone, resolves through its parent\'s; alive, through /proc', () => {
    // 5 (the postmaster) changed to the data directory; 6, its fork, writes and exits
    const { out } = parseAll([rec('D\t999\t5\t1\t/tmp/pg'), write(1000, 6, 5, 'base/1/2_vm')], gone);
    assert.deepEqual(of(out, 'file_write').map((e) => e.path), ['/tmp/pg/base/1/2_vm']);
    const alive = parseAll([rec('D\t999\t5\t1\t/tmp/pg'), write(1000, 6, 5, 'x')], { resolvePath: (pid, _dfd, p) => (pid === 6 ? `/elsewhere/${p}` : undefined) });
    assert.deepEqual(of(alive.out, 'file_write').map((e) => e.path), ['/elsewhere/x']);
  });
  it('a fork under a reused pid, gone, resolves through its parent\'s directory, not the earlier holder\'s', () => {
    // 7 was an initdb backend that changed to /tmp/pg; later the postmaster (5, in /srv/pg) forks a worker that gets pid 7
    const { out } = parseAll([rec('D\t900\t7\t3\t/tmp/old'), rec('D\t999\t5\t1\t/srv/pg'), write(1000, 7, 5, 'base/1/2_fsm')], gone);
    assert.deepEqual(of(out, 'file_write').map((e) => [e.path, e.enrichment]), [['/srv/pg/base/1/2_fsm', 'complete']]);
  });
  it('a relative executable resolves the same way', () => {
    const { out } = parseAll([rec('D\t999\t5\t1\t/opt/app'), rec('P\t1000\t5\t5\t1\t0\t0\t9\t0\t99\t0\tsh\t./run')], gone);
    assert.deepEqual(of(out, 'exec').map((e) => [e.process.exe, e.enrichment]), [['/opt/app/run', 'complete']]);
  });
  it('records read out of kernel-time order (one chunk): each relative path resolves through the directory in effect at its time', () => {
    // bpftrace drains one CPU's buffer, then the next: a chdir can be read after a later write
    const late = parseAll([write(1000, 5, 1, 'pg_wal/000001'), rec('D\t999\t5\t1\t/tmp/pg')], gone);
    assert.deepEqual(of(late.out, 'file_write').map((e) => [e.path, e.enrichment]), [['/tmp/pg/pg_wal/000001', 'complete']]);
    // the restarted postmaster's chdir read after its fork's first write
    const fork = parseAll([write(1000, 6, 5, 'base/1/2'), rec('D\t999\t5\t1\t/tmp/pg')], gone);
    assert.deepEqual(of(fork.out, 'file_write').map((e) => e.path), ['/tmp/pg/base/1/2']);
    // a write made before the chdir does not take the directory changed to after it
    const before = parseAll([rec('D\t999\t5\t1\t/a'), rec('D\t1001\t5\t1\t/b'), write(1000, 5, 1, 'x'), write(1002, 5, 1, 'y')], gone);
    assert.deepEqual(of(before.out, 'file_write').map((e) => e.path), ['/a/x', '/b/y']);
    // the pid's exec by another parent, read before the old process's earlier write
    const exec = (t: number, pid: number, ppid: number): string => rec(`P\t${t}\t${pid}\t${pid}\t${ppid}\t0\t0\t9\t0\t99\t0\tsh\t/usr/bin/x`);
    const reuse = parseAll([rec('D\t999\t5\t1\t/srv'), exec(1002, 5, 2), write(1001, 5, 1, 'old.log'), write(1003, 5, 2, 'new.log')], gone);
    assert.deepEqual(of(reuse.out, 'file_write').map((e) => [e.path, e.enrichment]), [['/srv/old.log', 'complete'], ['new.log', 'partial']]);
  });
  it('a relative executable and a rename target are resolved at the chunk\'s end too; outside a chunk, at once', () => {
    const { out } = parseAll([rec('P\t1000\t5\t5\t1\t0\t0\t9\t0\t99\t0\tsh\t./run'), rec('D\t999\t5\t1\t/opt/app')], gone);
    assert.deepEqual(of(out, 'exec').map((e) => [e.process.exe, e.enrichment]), [['/opt/app/run', 'complete']]);
    const ren = parseAll([rec('D\t999\t5\t1\t/d'), rec('W\t1000\t5\t5\t1\t9\t0\trename\t0\t-100\tmv\ta'), rec('N\t5\t1000\tb')], gone);
    assert.deepEqual(of(ren.out, 'file_write').map((e) => [e.path, e.newPath]), [['/d/a', '/d/b']]);
    const stats = new MemoryStats();
    const p = new BpftraceParser({ node: 'n1', stats, toEpochMs: (ns) => ns / 1e6, resolvePath: () => undefined });
    const one: RuntimeEvent[] = [];
    p.line(rec('D\t999\t5\t1\t/tmp/pg'), one);
    p.line(write(1000, 5, 1, 'f'), one);
    assert.deepEqual(of(one, 'file_write').map((e) => e.path), ['/tmp/pg/f']);
  });
  it('a D record without its fields is bad input, counted', () => {
    const { stats } = parseAll([rec('D\t999\tx\t1\t/tmp'), rec('D\t999\t5\t1')], gone);
    assert.equal(stats.snap.bad.bpftrace?.bad_value, 2);
  });
});
