// Faithful argv from every source: random argv with every byte class (commas, brackets,
// quotes, spaces, tabs, newlines, backslashes, `\x41`-like text, non-ASCII, invalid
// UTF-8, empty arguments) encoded as each source's producer writes it and read back
// through the source's own replay path. Bytes become text the same way everywhere: each
// argument as UTF-8, an invalid sequence as U+FFFD. What a format cannot carry is named
// per source (Tetragon and Falco flatten argv to one string) and left out of its runs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSource } from '../../collector/sources/index.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { BpftraceParser } from '../../collector/sources/bpftrace/parse.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { procfsReader } from '../../collector/enrich/procs.ts';
import { parseStat, readProc } from '../../collector/sources/procfs/proc.ts';
import { redactArgs } from '../../collector/redact.ts';
import { testContext } from './sources/auditd/helpers.ts';
import {
  asText,
  auditExecLines,
  bpftraceExecLines,
  falcoArgs,
  falcoCarries,
  procCmdline,
  randomArgv,
  rng,
  tetragonArguments,
  tetragonCarries,
} from '../support/argv.ts';

const RUNS = 300;

async function replay(source: string, lines: string[], dir: string): Promise<RuntimeEvent[]> {
  const file = join(dir, `${source}.log`);
  writeFileSync(file, lines.join('\n') + '\n');
  const ctx = testContext();
  const out: RuntimeEvent[] = [];
  for await (const b of findSource(source)!.replay!([file], ctx)) out.push(...b);
  assert.equal(ctx.stats.totalBad(), 0, `${source}: no bad input ${JSON.stringify(ctx.stats.snap.bad)}`);
  return out;
}

function samples(seed: number): Buffer[][] {
  const r = rng(seed);
  return Array.from({ length: RUNS }, () => randomArgv(r));
}

describe('argv round-trips through every source (property test)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hw-argv-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bpftrace: the argument area in hex chunks', () => {
    for (const [i, argv] of samples(1).entries()) {
      const stats = new MemoryStats();
      const p = new BpftraceParser({ node: 'n', stats, toEpochMs: (ns) => ns / 1e6 });
      const out: RuntimeEvent[] = [];
      for (const l of bpftraceExecLines(argv, { pid: 100 + i, cgroup: '1', nsecs: 1e9 + i, exe: '/usr/bin/x' })) p.line(l, out);
      assert.equal(stats.totalBad(), 0);
      assert.equal(out.length, 1);
      assert.deepEqual(out[0].process.args, asText(argv), `run ${i}`);
      assert.equal(out[0].enrichment, 'complete');
    }
  });

  it('auditd: EXECVE fields, quoted or hex as the kernel writes them', async () => {
    const all = samples(2);
    const lines = all.flatMap((argv, i) => auditExecLines(argv, { serial: 1000 + i, pid: 200 + i, exe: '/usr/bin/x' }));
    const execs = (await replay('auditd', lines, dir)).filter((e) => e.kind === 'exec');
    assert.equal(execs.length, all.length);
    for (const [i, argv] of all.entries()) assert.deepEqual(execs[i].process.args, asText(argv), `run ${i}`);
  });

  it('tetragon: process.arguments as its ArgsDecoder joins them', async () => {
    const all = samples(3)
      .map(asText)
      .filter((a) => tetragonCarries(a.slice(1)));
    assert.ok(all.length > RUNS / 4, `enough runs the format can carry (${all.length})`);
    const lines = all.map((a, i) =>
      JSON.stringify({
        process_exec: { process: { exec_id: `e${i}`, pid: 300 + i, uid: 0, cwd: '/', binary: '/usr/bin/x', arguments: tetragonArguments(a.slice(1)), start_time: '2025-03-01T10:00:01Z' } },
        node_name: 'n',
        time: '2025-03-01T10:00:01Z',
      }),
    );
    const execs = (await replay('tetragon', lines, dir)).filter((e) => e.kind === 'exec');
    assert.equal(execs.length, all.length);
    for (const [i, a] of all.entries()) assert.deepEqual(execs[i].process.args, ['/usr/bin/x', ...a.slice(1)], `run ${i}`);
  });

  it('falco: proc.args as Falco joins them', async () => {
    const all = samples(4)
      .map(asText)
      .filter((a) => falcoCarries(a.slice(1)));
    assert.ok(all.length > 10, `enough runs the format can carry (${all.length})`);
    const lines = all.map((a, i) =>
      JSON.stringify({
        rule: 'Terminal shell in container',
        time: '2025-03-01T10:00:01.000000000Z',
        source: 'syscall',
        output_fields: { 'evt.type': 'execve', 'proc.exepath': '/usr/bin/x', 'proc.name': 'x', 'proc.args': falcoArgs(a.slice(1)), 'proc.pid': 400 + i },
      }),
    );
    const execs = (await replay('falco', lines, dir)).filter((e) => e.kind === 'exec');
    assert.equal(execs.length, all.length);
    // argv[0] is not in the alert (Falco gives the process name instead)
    for (const [i, a] of all.entries()) assert.deepEqual(execs[i].process.args.slice(1), a.slice(1), `run ${i}`);
  });

  it('procfs: /proc/PID/cmdline, through the process cache and the procfs source', () => {
    const root = join(dir, 'proc');
    for (const [i, argv] of samples(5).entries()) {
      const pid = 500 + i;
      const d = join(root, String(pid));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'cmdline'), procCmdline(argv));
      writeFileSync(join(d, 'status'), `Name:\tx\nPPid:\t1\nUid:\t0\t0\t0\t0\n`);
      symlinkSync('/usr/bin/x', join(d, 'exe'));
      assert.deepEqual(procfsReader(root).read(pid)?.args, asText(argv), `cache, run ${i}`);
      const stat = parseStat(`${pid} (x) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0`)!;
      assert.deepEqual(readProc(root, pid, stat).args, asText(argv), `source, run ${i}`);
    }
  });

  it('events: the normalised JSON (strings carry any text)', async () => {
    const all = samples(6).map(asText);
    const lines = all.map((a, i) => JSON.stringify({ kind: 'exec', time: 1700000000000 + i, process: { pid: 600 + i, exe: '/usr/bin/x', args: a } }));
    const execs = await replay('events', lines, dir);
    assert.equal(execs.length, all.length);
    for (const [i, a] of all.entries()) assert.deepEqual(execs[i].process.args, a, `run ${i}`);
  });

  it('redaction changes nothing in arguments that hold no secret', () => {
    // the pieces above cannot spell a secret pattern (no "pass", "token", "key"…, no @):
    // every argument, multi-word ones included, must come back character for character
    for (const [i, argv] of samples(7).entries()) {
      const a = asText(argv);
      assert.deepEqual(redactArgs(a), a, `run ${i}: ${JSON.stringify(a)}`);
    }
  });
});
