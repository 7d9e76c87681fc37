import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpftraceParser, decodeR, decodeArgv, printfFields, type ParserDeps } from '../../../../collector/sources/bpftrace/parse.ts';
import { decodeHexBytes, intOf, uintOf } from '../../../../collector/sources/bpftrace/decode.ts';
import { argvLine, execLine, newExecFields } from '../../../../collector/sources/bpftrace/printf-fields.ts';
import type { RuntimeEvent, EventOf } from '../../../../collector/event.ts';
import { REPO } from '../../../support/env.ts';
import { of, parseAll } from './helpers.ts';
import { MemoryStats } from '../../../../collector/stats.ts';

const FIXTURE = join(REPO, 'test', 'fixtures', 'bpftrace', 'workload.ndjson');
const CG = '1108';


const fixtureLines = (): string[] => readFileSync(FIXTURE, 'utf8').split('\n');

describe('bpftrace parser on recorded real output', () => {
  it('decodes the exec records with argv, ppid, uid and cgroup id', () => {
    const { out, stats } = parseAll(fixtureLines(), { cgroupPath: (id) => (id === CG ? '/kubepods.slice/x' : undefined) });
    const execs = of(out, 'exec');
    const t = execs.find((e) => e.process.exe === '/bin/true');
    assert.ok(t, 'exec of /bin/true');
    assert.deepEqual(t.process.args, ['/bin/true']);
    assert.equal(t.cgroup?.id, CG);
    assert.equal(t.cgroup?.path, '/kubepods.slice/x');
    assert.equal(t.process.uid, 0);
    assert.ok((t.process.ppid ?? 0) > 0);
    assert.equal(t.enrichment, 'complete');
    assert.equal(t.source, 'bpftrace');
    // argv with tab, newline, quote, UTF-8 and backslash, spread over two chunks
    const p = execs.find((e) => e.process.exe === '/usr/bin/printf');
    assert.ok(p);
    assert.deepEqual(p.process.args.slice(0, 6), ['printf', '%s', 'tab\there', 'new\nline', 'q"uote', 'bäck\\slash']);
    assert.equal(p.process.args[6], 'x'.repeat(300));
    assert.equal(p.process.args.length, 7);
    // the orphan argv of the helper shell (exec'd before it joined the cgroup)
    assert.ok((stats.snap.dropped.bpftrace?.unpaired_argv ?? 0) >= 1);
    assert.equal(stats.totalBad(), 0, JSON.stringify(stats.snap.bad));
  });

  it('joins a long argv (1098 bytes, 7 chunks) into the shell script', () => {
    const { out } = parseAll(fixtureLines());
    const sh = of(out, 'exec').find((e) => e.process.exe === '/bin/sh');
    assert.ok(sh);
    assert.equal(sh.process.args[0], '/bin/sh');
    assert.equal(sh.process.args[1], '-c');
    assert.match(sh.process.args[2], /^\n\/bin\/true\n/);
    assert.match(sh.process.args[2], /u6\.sendto\(b"x", \("::1", 5355\)\)\n'\n$/);
    assert.equal(sh.enrichment, 'complete');
  });

  it('decodes file writes: create, rename with target, chmod, unlink; resolves relative paths', () => {
    const resolvePath = (_pid: number, dfd: number, p: string) => (dfd === -100 ? `/tmp/hw-rec/${p}` : undefined);
    const { out } = parseAll(fixtureLines(), { resolvePath });
    const fw = of(out, 'file_write');
    const find = (op: string, path: string) => fw.find((e) => e.op === op && e.path === path);
    assert.ok(find('create', '/tmp/hw-rec/created.txt'));
    const mv = find('rename', '/tmp/hw-rec/created.txt');
    assert.ok(mv);
    assert.equal(mv.newPath, '/tmp/hw-rec/renamed.txt');
    assert.equal(mv.process.exe, 'mv'); // comm until a process cache says more
    assert.ok(find('chmod', '/tmp/hw-rec/renamed.txt'));
    assert.ok(find('unlink', '/tmp/hw-rec/renamed.txt'));
    assert.ok(find('create', '/tmp/hw-rec/abs.txt'));
    assert.ok(find('unlink', '/tmp/hw-rec/abs.txt'));
  });

  it('keeps unresolvable relative paths as they are, marked partial', () => {
    const { out } = parseAll(fixtureLines());
    const ul = of(out, 'file_write').find((e) => e.op === 'unlink' && e.path === 'renamed.txt');
    assert.ok(ul);
    assert.equal(ul.enrichment, 'partial');
  });

  it('decodes listen and connect (TCP v4/v6, UDP connect and deduplicated sendto)', () => {
    const { out } = parseAll(fixtureLines());
    const ls = of(out, 'listen').map((e) => `${e.proto} ${e.addr} ${e.port}`);
    assert.deepEqual(ls, ['tcp 127.0.0.1 40123', 'tcp ::1 40124']);
    const cs = of(out, 'connect').map((e) => `${e.proto} ${e.dstAddr} ${e.dstPort}`);
    assert.deepEqual(cs, ['tcp 127.0.0.1 40123', 'tcp ::1 40124', 'udp 127.66.6.6 5353', 'udp 127.66.6.6 5354', 'udp ::1 5355']);
    assert.ok(of(out, 'connect').every((e) => e.process.exe === 'python3' && e.cgroup?.id === CG));
  });

  it('turns the @sc map into one syscall-set event per cgroup, timed by the T mark', () => {
    const { out } = parseAll(fixtureLines());
    const sc = of(out, 'syscall');
    assert.equal(sc.length, 1);
    assert.equal(sc[0].cgroup?.id, CG);
    for (const n of ['execve', 'openat', 'bind', 'listen', 'connect', 'sendto', 'renameat2', 'unlinkat', 'fchmodat']) {
      assert.ok(sc[0].names.includes(n), `${n} in ${sc[0].names.join(',')}`);
    }
    assert.deepEqual(sc[0].names, [...sc[0].names].sort());
    assert.equal(sc[0].time, 1173294673548 / 1e6);
  });

  it('filters by cgroup and ignores its own pid', () => {
    const { out, p } = parseAll(fixtureLines(), { accept: () => false });
    assert.equal(out.length, 0);
    assert.ok(p.counts.filtered > 10);
    const { out: o2 } = parseAll(fixtureLines(), { ignorePid: () => true });
    assert.ok(o2.every((e) => e.kind === 'syscall'));
  });

  it('signals ready on R and counts attached probes', () => {
    let ready = 0;
    let probes = 0;
    parseAll(fixtureLines(), { onReady: () => ready++, onAttached: (n) => (probes = n) });
    assert.equal(ready, 1);
    assert.equal(probes, 20);
  });
});

describe('bpftrace parser: bpftrace messages and bad input', () => {
  it('counts lost events in every known shape as dropped', () => {
    const { stats, p } = parseAll([
      '{"type": "lost_events", "data": {"events": 7}}',
      '{"type": "lost_events", "count": 3, "data": {"events": 3}}',
      'Lost 5 events',
    ]);
    assert.equal(stats.snap.dropped.bpftrace?.lost_events, 15);
    assert.equal(p.counts.lost, 15);
  });

  it('counts malformed records by reason and keeps going', () => {
    const good = '{"type": "printf", "data": "L\\t1\\t2\\t2\\t5\\t0\\t2\\tnc\\\\x00\\t0.0.0.0\\t80\\n"}';
    const { out, stats } = parseAll([
      'garbage',
      '{"type": "printf", "data": "L\\t1\\t2\\n"}',
      '{"type": "printf"',
      '{"type": "printf", "data": "Q\\tx\\n"}',
      '{"type": "printf", "data": "C\\t1\\t2\\t2\\t5\\t0\\tsctp\\t2\\tx\\t1.2.3.4\\t80\\n"}',
      '{"type": "printf", "data": "W\\t1\\t2\\t2\\t1\\t5\\t0\\tlink\\t0\\t-100\\tx\\t/a\\n"}',
      '{"type": "printf", "data": "X\\tnope\\n"}',
      '{"type": "map", "data": {"@sc": {"a,b": 1}}}',
      '{"type": "time", "data": "10:00:00\\n"}',
      '[1,2]',
      good,
    ]);
    assert.equal(out.length, 1);
    assert.equal(out[0].kind, 'listen');
    const bad = stats.snap.bad.bpftrace;
    assert.deepEqual(Object.keys(bad).sort(), [
      'bad_exec_record', 'bad_map', 'bad_net_record', 'bad_value', 'invalid_json', 'not_json', 'unexpected_record', 'unknown_record',
    ]);
  });

  it('a tab inside a path stays in the path (last field)', () => {
    const { out } = parseAll(['{"type": "printf", "data": "W\\t1\\t2\\t2\\t1\\t5\\t0\\topen\\t65\\t-100\\tsh\\\\x00\\t/tmp/a\\tb\\n"}']);
    assert.equal(out.length, 1);
    assert.equal((out[0] as EventOf<'file_write'>).path, '/tmp/a\tb');
  });

  it('a rename whose target record was lost still comes out, partial', () => {
    const { out } = parseAll(['{"type": "printf", "data": "W\\t1\\t2\\t2\\t1\\t5\\t0\\trename\\t0\\t-100\\tmv\\t/a\\n"}']);
    assert.equal(out.length, 1);
    assert.equal((out[0] as EventOf<'file_write'>).newPath, undefined);
  });

  it('an exec whose argv records were lost comes out partial without args', () => {
    const { out } = parseAll(['{"type": "printf", "data": "X\\t1\\t9\\t9\\t1\\t5\\t0\\t777\\t10\\t/bin/true\\n"}']);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].process.args, []);
    assert.equal(out[0].enrichment, 'partial');
  });

  it('an argv longer than the 8 captured chunks is marked as cut', () => {
    const chunk = 'a'.repeat(180);
    const lines = [];
    for (let i = 0; i < 8; i++) lines.push(JSON.stringify({ type: 'printf', data: `A\t9\t777\t${i}\t${chunk}\n` }));
    lines.push(JSON.stringify({ type: 'printf', data: 'X\t1\t9\t9\t1\t5\t0\t777\t5000\t/bin/x\n' }));
    const { out } = parseAll(lines);
    assert.equal(out[0].enrichment, 'partial');
    assert.equal(out[0].process.args.length, 1);
    assert.ok(out[0].process.args[0].endsWith('…'));
  });

  it('decodes %r escapes to UTF-8', () => {
    assert.equal(decodeR('b\\xc3\\xa4r\\x09x'), 'bär\tx');
    assert.equal(decodeR('plain\\path'), 'plain\\path');
    assert.deepEqual(decodeArgv('a\\x00b c\\x00', true), ['a', 'b c']);
  });
});

describe('bpftrace record fields without JSON.parse', () => {
  // what the parser did before: JSON.parse of the envelope, the newline cut, split at tabs
  const slow = (line: string): string[] => {
    const d = (JSON.parse(line) as { data: string }).data;
    return (d.endsWith('\n') ? d.slice(0, -1) : d).split('\t');
  };
  const printfLine = (data: string): string => `{"type": "printf", "data": ${JSON.stringify(data)}}`;

  it('gives the fields JSON.parse gives, for every recorded printf line it takes', () => {
    let taken = 0;
    for (const l of fixtureLines()) {
      if (!l.startsWith('{"type": "printf"')) continue;
      const f = printfFields(l);
      if (f === undefined) continue;
      taken++;
      assert.deepEqual(f, slow(l), l);
    }
    assert.ok(taken > 40, `taken ${taken}`);
  });

  it('reads escaped backslashes; leaves every line with another escape (quote, newline inside, control character, \\u) to JSON.parse', () => {
    const alphabet = ['\t', '\n', '\\', '"', '\u0001', '\u001f', 'é', 'a', '/', '0', ' ', 'u', 't', 'n', '\\t', '\\n', '\\\\', '\\x00', '\\\\t'];
    let s = 7;
    const rnd = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) % n;
    let fast = 0;
    for (let i = 0; i < 5000; i++) {
      let data = 'X';
      for (let j = rnd(12); j >= 0; j--) data += alphabet[rnd(alphabet.length)];
      const line = printfLine(data + (rnd(2) ? '\n' : ''));
      const f = printfFields(line);
      if (f === undefined) continue;
      fast++;
      assert.deepEqual(f, slow(line), line);
    }
    assert.ok(fast > 100 && fast < 5000, `fast ${fast}`);
    // a comm's NUL padding to the end of a field (its own path), any length, with or without what may follow
    for (const head of ['', 'storm', 'a\\\\b', 'x\\x01']) {
      for (let n = 0; n <= 18; n++) {
        for (const after of ['', '\t/bin/true', 'y']) {
          const line = printfLine('E\t1\t' + head + '\\x00'.repeat(n) + after + '\n');
          assert.deepEqual(printfFields(line), slow(line), line);
        }
      }
    }
    // a raw control character is not JSON: it goes to JSON.parse, which refuses it
    assert.equal(printfFields('{"type": "printf", "data": "X\u0001\\n"}'.replace('\\u0001', '\u0001')), undefined);
  });

  it('an argv line (H) taken in one pass gives what the general path gives; any other form is left to it', () => {
    const got: unknown[] = [];
    const to = { add: (tid: number, argStart: string, idx: number, hex: string, isHex: boolean) => got.push([tid, argStart, idx, hex, isHex]) };
    // the general path: fields as JSON.parse gives them, then the checks argChunk makes
    const general = (line: string): unknown => {
      const f = slow(line);
      if (f[0] !== 'H' || f.length !== 5 || ![1, 2, 3].every((i) => /^\d{1,15}$/.test(f[i])) || Number(f[3]) >= 8) return undefined;
      return [Number(f[1]), f[2], Number(f[3]), f[4], true];
    };
    // as the program prints them (the recorded fixture predates H records)
    for (const l of [printfLine('H\t16621\t140725114021267\t0\t2f 62 69 6e 2f 73 68 00 2d 63 00\n'), printfLine('H\t1\t2\t7\t00\n')]) {
      got.length = 0;
      assert.equal(argvLine(l, to), true, l);
      assert.deepEqual(got, [general(l)], l);
    }
    const alphabet = ['1', '0', '9', 'a', 'f', ' ', '\t', '\n', 'g', 'A', '\\', '"', '-', '\u0001', 'é'];
    let s = 11;
    const rnd = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const pick = (n: number, from = alphabet): string => Array.from({ length: n }, () => from[rnd(from.length)]).join('');
    let fast = 0;
    for (let i = 0; i < 20000; i++) {
      const digits = ['0', '1', '7', '8', '9', '12', ''];
      const data = rnd(4) === 0 ? 'H' + pick(rnd(30)) : `H\t${pick(rnd(4), digits)}\t${pick(1 + rnd(3), digits)}\t${pick(1, digits)}\t${pick(rnd(12))}`;
      const line = printfLine(data + (rnd(5) ? '\n' : ''));
      got.length = 0;
      const took = argvLine(line, to);
      if (!took) continue;
      fast++;
      assert.deepEqual(got, [general(line)], line);
    }
    assert.ok(fast > 200, `fast ${fast}`);
    // a chunk index past the eight printed goes to the general path (bad input there)
    assert.equal(argvLine(printfLine('H\t7\t99\t8\t2f 00\n'), to), false);
    assert.equal(argvLine(printfLine('H\t7\t99\t0\t\n'), to), true);
  });

  it('an exec line (P) taken in one pass gives the events and counts the general path gives; any other form is left to it', () => {
    // the general path, forced: the record letter written as a JSON escape (\u0050 is P)
    const general = (line: string): string => line.replace('"data": "P', '"data": "\\u0050');
    const run = (lines: string[]) => {
      const r = parseAll(lines, { resolvePath: (pid, dfd, p) => (dfd === -100 && pid % 2 === 0 ? `/cwd/${pid}/${p}` : undefined) });
      const { examples: _, ...counts } = r.stats.snap;
      return JSON.stringify([r.out, counts]);
    };
    let s = 5;
    const rnd = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const of = (xs: readonly string[]): string => xs[rnd(xs.length)];
    const num = ['0', '1', '42', '4242', '123456789012345', '1234567890123456', '-1', '', 'x', '007'];
    const comm = ['bash', '', 'a b', 'q\\"x', 'b\\\\s', 'tab\\t', 'x\\x01', 'é', 'storm'];
    const file = ['/bin/true', 'rel/x', '', '/tmp/a\\tb', '/tmp/q\\"', '/tmp/é', '/t\\\\x41', '/x\\u0001'];
    let fast = 0;
    for (let i = 0; i < 4000; i++) {
      const good = rnd(3) !== 0;
      const n = (): string => (good ? of(['1', '42', '4242', '123456789012345', '0']) : of(num));
      const tid = String(100 + rnd(5));
      const pad = '\\\\x00'.repeat(rnd(18));
      const fields = ['P', n(), tid, tid, n(), n(), of(['0', '64', '00']), n(), n(), '99', good ? '5' : n(), (good ? of(['bash', '', 'storm']) : of(comm)) + (rnd(4) ? pad : pad + 'z'), good ? of(['/bin/true', 'rel/x', '/tmp/é', '']) : of(file)];
      const drop = rnd(8) === 0 ? rnd(fields.length) : -1;
      const data = fields.filter((_, k) => k !== drop).join('\\t') + (rnd(6) ? '\\n' : '');
      const p = `{"type": "printf", "data": "${data}"}`;
      const h = `{"type": "printf", "data": "H\\t${tid}\\t99\\t0\\t61 62 00\\n"}`;
      const lines = rnd(2) ? [h, p] : [p];
      const x = newExecFields();
      if (execLine(p, x)) fast++;
      assert.equal(run(lines), run(lines.map(general)), p);
    }
    assert.ok(fast > 1000, `fast ${fast}`);
  });

  it('decodes numbers and hex argv as before: NaN and undefined for what is not one', () => {
    for (const [s, v] of [['0', 0], ['42', 42], ['18446744073709551615', 18446744073709551615], ['', NaN], ['-1', NaN], ['1a', NaN], ['1'.repeat(21), NaN]] as const) assert.equal(uintOf(s), v, s);
    for (const [s, v] of [['-100', -100], ['7', 7], ['-', NaN], ['--1', NaN], ['+1', NaN]] as const) assert.equal(intOf(s), v, s);
    assert.deepEqual(decodeHexBytes('2f 62 00 ff'), Buffer.from([0x2f, 0x62, 0, 0xff]));
    assert.deepEqual(decodeHexBytes(''), Buffer.alloc(0));
    for (const bad of ['2f62', '2F 62', '2f 6', '2f  62', '2f 62 ', ' 2f', 'zz']) assert.equal(decodeHexBytes(bad), undefined, bad);
  });
});

describe('bpftrace source replay (recorded output through the source contract)', () => {
  it('decodes the recorded file and counts what it received', async () => {
    const { default: source } = await import('../../../../collector/sources/bpftrace/index.ts');
    const { silentLogger } = await import('../../../../collector/log.ts');
    const stats = new MemoryStats();
    const ctx = { node: 'r', signal: new AbortController().signal, log: silentLogger, stats, state: { get: () => undefined, set() {} }, now: () => 1_000_000 };
    const all: RuntimeEvent[] = [];
    for await (const b of source.replay!([FIXTURE], ctx)) all.push(...b);
    assert.equal(stats.snap.received.bpftrace, all.length);
    assert.ok(all.length >= 40);
    assert.ok(all.every((e) => e.time >= 1_000_000 && e.node === 'r' && e.cgroup?.id === CG));
    assert.ok(all.some((e) => e.kind === 'syscall'));
  });
});

describe('bpftrace batch order and attribution', () => {
  it('orders a batch by kernel time so an exec feeds the cache before its process’s later records', async () => {
    const { byKernelTime } = await import('../../../../collector/sources/bpftrace/index.ts');
    const { ProcessCache } = await import('../../../../collector/enrich/procs.ts');
    const { createProcfsAttribution } = await import('../../../../collector/enrich/attribution.ts');
    const procs = new ProcessCache({ reader: { read: () => undefined } });
    procs.recordExec({ pid: 10, ppid: 1, exe: '/bin/sh', args: ['sh'] });
    const mk = (time: number, extra: object) =>
      ({ time, node: 'n', source: 'bpftrace', enrichment: 'complete', cgroup: { id: '5', path: '/x' }, ...extra }) as RuntimeEvent;
    // the rename (CPU 1) was read before the exec (CPU 0) that happened first
    const batch = byKernelTime([
      mk(2, { kind: 'file_write', op: 'rename', path: '/a', process: { pid: 20, exe: 'mv', args: [] } }),
      mk(1, { kind: 'exec', process: { pid: 20, ppid: 10, exe: '/usr/bin/mv', args: ['mv', '/a', '/b'] } }),
    ]);
    const step = createProcfsAttribution({ processes: procs });
    for (const ev of batch) step.enrich(ev);
    assert.equal(batch[0].kind, 'exec');
    assert.equal(batch[1].process.exe, '/usr/bin/mv');
    assert.deepEqual(batch[1].process.args, ['mv', '/a', '/b']);
    assert.equal(batch[1].process.ppid, 10);
    assert.deepEqual(batch[1].process.ancestors, [{ pid: 10, exe: '/bin/sh', args: ['sh'] }]);
  });

  it('leaves a batch already in order as it is', async () => {
    const { byKernelTime } = await import('../../../../collector/sources/bpftrace/index.ts');
    const batch = [1, 2, 2, 3].map((time) => ({ time }) as RuntimeEvent);
    assert.equal(byKernelTime(batch), batch);
    assert.deepEqual(batch.map((e) => e.time), [1, 2, 2, 3]);
  });
});
