// Fuzzing every file parser through its source's own replay path (bytes → lines → records →
// events), as one long stream through a FIFO so that one decoder sees all of it:
// - 0 crashes: the replay never throws, whatever the bytes (mutated real lines, mutated
//   structures, random bytes with invalid UTF-8, lines over the 1 MiB cap);
// - every bad record is counted under a reason the source declares;
// - bounded memory: the heap after a full GC stops growing once caches are warm;
// - valid input after garbage is judged identically: "probe" units (valid records whose
//   executable is under /opt/fzprobe/, which no mutation of the seeds can produce) give
//   exactly the events they give without the garbage around them.
// FUZZ_INPUTS inputs per parser (npm run fuzz: 1,000,000; npm test: a short run).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findSource } from '../../collector/sources/index.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { silentLogger } from '../../collector/log.ts';
import { memorySourceState } from '../../agent/store/source-state.ts';
import { MAX_LINE_BYTES } from '../../collector/lines.ts';
import { REPO, SHARED_FIXTURES } from '../support/env.ts';
import { replay } from '../../agent/cli/replay.ts';
import { FUZZ_INPUTS, FUZZ_SEED, HeapProbe, garbage, mutateBytes, mutateValue, pick, report, rng, type Rng } from '../support/fuzz.ts';

const MARK = '/opt/fzprobe/';
const PID = 7_000_000; // probe pids: beyond what a mutation of the seeds' pids can reach
/** heap growth allowed after the warm-up, whatever the run's length */
const MAX_GROWTH_MIB = 48;

interface Spec {
  source: string;
  /** valid lines the garbage is made from */
  seeds: string[];
  /** one valid unit of input (one or more lines) whose events carry MARK */
  probe(k: number): string[];
  /** JSON lines: also mutate the parsed structure, not only the bytes */
  json: boolean;
}

const fixtureLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

const specs: Spec[] = [
  {
    source: 'events',
    seeds: fixtureLines(join(REPO, 'test/fixtures/replay/web-attack.jsonl')),
    json: true,
    probe: (k) => {
      const e = JSON.parse(fixtureLines(join(REPO, 'test/fixtures/replay/web-attack.jsonl'))[0]) as { time: number; process: Record<string, unknown> };
      e.time += k;
      e.process.pid = PID + k;
      e.process.exe = `${MARK}${k % 97}`;
      e.process.args = [`${MARK}${k % 97}`, '--password', `probe-secret-${k}`];
      return [JSON.stringify(e)];
    },
  },
  {
    source: 'tetragon',
    seeds: [
      ...fixtureLines(join(REPO, 'test/fixtures/tetragon/synthetic-kprobes.jsonl')),
      ...(existsSync(join(SHARED_FIXTURES, 'tetragon')) ? fixtureLines(join(SHARED_FIXTURES, 'tetragon/testdata-events.jsonl')).slice(0, 200) : []),
    ],
    json: true,
    probe: (k) => {
      const v = JSON.parse(fixtureLines(join(REPO, 'test/fixtures/tetragon/synthetic-kprobes.jsonl'))[0]) as { process_exec: { process: Record<string, unknown> } };
      const p = v.process_exec.process;
      p.pid = PID + k;
      p.tid = PID + k;
      p.exec_id = `fzprobe:${k}`;
      p.binary = `${MARK}${k % 97}`;
      p.arguments = `-c "probe ${k}"`;
      return [JSON.stringify(v)];
    },
  },
  {
    source: 'falco',
    seeds: existsSync(join(SHARED_FIXTURES, 'falco'))
      ? fixtureLines(join(SHARED_FIXTURES, 'falco/falco-alerts.jsonl'))
      : [JSON.stringify({ output: 'x', priority: 'Warning', rule: 'r', source: 'syscall', time: '2025-05-07T12:50:34.502309868Z', output_fields: { 'evt.type': 'connect', 'fd.name': '1.2.3.4:5->6.7.8.9:10', 'proc.exepath': '/usr/bin/x', 'proc.cmdline': 'x -a', 'proc.pid': 77 } })],
    json: true,
    probe: (k) => [
      JSON.stringify({
        output: 'probe',
        priority: 'Warning',
        rule: 'Probe',
        source: 'syscall',
        hostname: 'fz',
        time: new Date(1_772_359_201_000 + k).toISOString(),
        output_fields: { 'evt.type': 'execve', 'proc.exepath': `${MARK}${k % 97}`, 'proc.cmdline': `probe ${k}`, 'proc.pid': PID + k, 'proc.ppid': PID },
      }),
    ],
  },
  {
    source: 'bpftrace',
    seeds: fixtureLines(join(REPO, 'test/fixtures/bpftrace/workload.ndjson')),
    json: true,
    probe: (k) => {
      const pid = PID + k;
      const exe = `${MARK}${k % 97}`;
      const key = 140_000_000_000_000 + k;
      const argv = `${exe}\\x00-v\\x00probe${k}\\x00`;
      const len = Buffer.byteLength(`${exe}\0-v\0probe${k}\0`);
      const rec = (data: string) => JSON.stringify({ type: 'printf', data });
      return [rec(`A\t${pid}\t${key}\t0\t${argv}\n`), rec(`X\t${1_171_344_533_038 + k * 1000}\t${pid}\t${pid}\t${k === 0 ? PID - 1 : PID}\t1108\t0\t${key}\t${len}\t${exe}\n`)];
    },
  },
  {
    source: 'auditd',
    seeds: fixtureLines(join(REPO, 'test/fixtures/auditd/recorded-enriched.log')),
    json: false,
    probe: (k) =>
      fixtureLines(join(REPO, 'test/fixtures/auditd/recorded-enriched.log'))
        .filter((l) => l.includes('.129:19)'))
        .map((l) =>
          l
            .replace('.129:19)', `.129:${90_000_000 + k})`)
            .replace('pid=5962', `pid=${PID + k}`)
            .replace('exe="/usr/bin/mv"', `exe="${MARK}${k % 97}"`)
            .replace('name="/usr/bin/mv"', `name="${MARK}${k % 97}"`),
        ),
  },
];

/** the generated stream: probe 0 first (it anchors recorded kernel times), then garbage with a probe about every tenth input */
function* stream(spec: Spec, r: Rng, inputs: number, withGarbage: boolean, progress: { done: number }): Generator<Buffer> {
  const seeds = spec.seeds.map((s) => Buffer.from(s));
  const parsed = spec.json ? spec.seeds.map((s) => JSON.parse(s) as unknown) : [];
  const keys = spec.json ? [...new Set(spec.seeds.flatMap((s) => [...s.matchAll(/"([A-Za-z_.\[\]0-9-]+)":/g)].map((m) => m[1])))] : [];
  const strings = spec.json ? [...new Set(spec.seeds.flatMap((s) => [...s.matchAll(/:"([^"\\]{0,40})"/g)].map((m) => m[1])))] : [];
  const NL = Buffer.from('\n');
  let k = 0;
  const probe = (): Buffer => Buffer.from(spec.probe(k++).join('\n') + '\n');
  yield probe();
  const out: Buffer[] = [];
  for (let i = 0; i < inputs; i++) {
    progress.done = i / inputs;
    if (withGarbage) {
      const roll = r();
      let line: Buffer;
      if (roll < 0.35) line = mutateBytes(pick(r, seeds), r, () => pick(r, seeds));
      else if (roll < 0.55 && spec.json) line = Buffer.from(JSON.stringify(mutateValue(pick(r, parsed), r, keys, strings)) ?? 'null');
      else if (roll < 0.7) line = garbage(r);
      else line = pick(r, seeds);
      out.push(line, NL);
      // once early on and then every 200,000 inputs: a line over the cap
      if (i === 10 || i % 200_000 === 199_999) out.push(Buffer.alloc(MAX_LINE_BYTES + 10, 0x61), NL);
    }
    if (i % 10 === 9) out.push(probe());
    if (out.length >= 256) {
      yield Buffer.concat(out.splice(0));
    }
  }
  if (out.length > 0) yield Buffer.concat(out);
  progress.done = 1;
}

interface Run {
  probes: number;
  digest: bigint;
  first: string[];
  others: number;
  bad: Record<string, number>;
  growthMiB: number;
  heapSamples: number;
}

/** order-independent digest of the probe events (a multiset: sources may reorder a batch by time) */
function digestOf(s: string): bigint {
  return BigInt('0x' + createHash('sha256').update(s).digest('hex').slice(0, 24));
}

async function run(spec: Spec, inputs: number, withGarbage: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'hw-fuzz-'));
  const fifo = join(dir, 'in');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const r = rng(FUZZ_SEED + spec.source.length);
  const progress = { done: 0 };
  const stats = new MemoryStats();
  const heap = new HeapProbe();
  const res: Run = { probes: 0, digest: 0n, first: [], others: 0, bad: {}, growthMiB: 0, heapSamples: 0 };
  const writer = pipeline(Readable.from(stream(spec, r, inputs, withGarbage, progress)), createWriteStream(fifo));
  try {
    const ctx = { node: 'fz', signal: new AbortController().signal, log: silentLogger, stats, state: memorySourceState(), now: () => 1_772_359_200_000 };
    let nextSample = 0;
    for await (const batch of findSource(spec.source)!.replay!([fifo], ctx)) {
      for (const ev of batch) {
        const s = JSON.stringify(ev);
        if (!s.includes(MARK)) {
          res.others++;
          continue;
        }
        res.probes++;
        res.digest = (res.digest + digestOf(s)) & ((1n << 96n) - 1n);
        if (res.first.length < 5) res.first.push(s);
      }
      if (withGarbage && progress.done >= nextSample) {
        heap.sample(progress.done);
        nextSample += 0.05;
      }
    }
    await writer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  res.bad = stats.snap.bad[spec.source] ?? {};
  res.growthMiB = heap.growthMiB();
  res.heapSamples = heap.samples;
  return res;
}

describe(`fuzz: every file parser through its replay path (${FUZZ_INPUTS} inputs each)`, function () {
  this.timeout(FUZZ_INPUTS > 100_000 ? 0 : 120_000); // npm run fuzz: as long as it takes

  for (const spec of specs) {
    it(`${spec.source}: no crash, declared reasons, bounded heap, probes after garbage decode as without it`, async () => {
      const clean = await run(spec, FUZZ_INPUTS, false);
      const fuzzed = await run(spec, FUZZ_INPUTS, true);
      const probes = 1 + Math.floor(FUZZ_INPUTS / 10);
      assert.ok(clean.probes >= probes, `${spec.source}: ${clean.probes} events from ${probes} probe units alone`);
      assert.equal(clean.others, 0);
      assert.equal(Object.keys(clean.bad).length, 0, `clean probes counted as bad: ${JSON.stringify(clean.bad)}`);
      assert.equal(fuzzed.probes, clean.probes, `${spec.source}: probe events with garbage around them: ${fuzzed.probes} of ${clean.probes}\nclean: ${clean.first[1]}\nfuzzed: ${fuzzed.first[1]}`);
      assert.equal(fuzzed.digest, clean.digest, `${spec.source}: probe events differ with garbage around them\nclean: ${clean.first.join('\n')}\nfuzzed: ${fuzzed.first.join('\n')}`);
      const declared = new Set(findSource(spec.source)!.parseErrors);
      for (const reason of Object.keys(fuzzed.bad)) assert.ok(declared.has(reason), `${spec.source}: reason ${reason} is not declared`);
      assert.ok(Object.values(fuzzed.bad).reduce((a, b) => a + b, 0) > FUZZ_INPUTS / 20, `${spec.source}: garbage counted as bad: ${JSON.stringify(fuzzed.bad)}`);
      assert.ok((fuzzed.bad.line_too_long ?? 0) >= 1, 'the over-long line is counted');
      assert.ok(fuzzed.growthMiB < MAX_GROWTH_MIB, `${spec.source}: heap grew ${fuzzed.growthMiB.toFixed(1)} MiB after the warm-up`);
      report({ parser: spec.source, probes: fuzzed.probes, otherEvents: fuzzed.others, bad: fuzzed.bad, heapGrowthMiB: +fuzzed.growthMiB.toFixed(2), heapSamples: fuzzed.heapSamples });
    });
  }
});

// Judged, not only decoded: a recorded capture replayed through the whole pipeline (learning,
// rules, incidents) gives the same alerts with garbage lines between its lines. Every
// garbage line starts with '#', which no format accepts, so each is counted bad once.
describe(`fuzz: a capture judged the same with garbage between its lines (${Math.min(FUZZ_INPUTS, 100_000)} garbage lines each)`, function () {
  this.timeout(FUZZ_INPUTS > 100_000 ? 0 : 120_000);
  const captures: Record<string, string> = {
    events: join(REPO, 'test/fixtures/replay/web-attack.jsonl'),
    tetragon: join(REPO, 'test/fixtures/tetragon/synthetic-kprobes.jsonl'),
    bpftrace: join(REPO, 'test/fixtures/bpftrace/workload.ndjson'),
    auditd: join(REPO, 'test/fixtures/auditd/recorded-enriched.log'),
    ...(existsSync(join(SHARED_FIXTURES, 'falco')) ? { falco: join(SHARED_FIXTURES, 'falco/falco-alerts.jsonl') } : {}),
  };
  for (const [source, capture] of Object.entries(captures)) {
    it(`${source}: the same events, baselines and alerts, every garbage line counted bad`, async () => {
      const lines = readFileSync(capture, 'utf8').split('\n').filter((l) => l.trim() !== '');
      const seeds = lines.map((l) => Buffer.from(l));
      const r = rng(FUZZ_SEED + source.length * 7);
      const n = Math.min(FUZZ_INPUTS, 100_000);
      const parts: Buffer[] = [];
      for (let i = 0, g = 0; i < lines.length || g < n; ) {
        if (g < n && (i >= lines.length || r() < n / (n + lines.length))) {
          parts.push(Buffer.from('#'), r() < 0.6 ? mutateBytes(pick(r, seeds), r, () => pick(r, seeds)) : garbage(r), Buffer.from('\n'));
          g++;
        } else parts.push(seeds[i++], Buffer.from('\n'));
      }
      const dir = mkdtempSync(join(tmpdir(), 'hw-fuzz-judged-'));
      try {
        writeFileSync(join(dir, 'garbled'), Buffer.concat(parts));
        const clean = await replay({ source, files: [capture] });
        const garbled = await replay({ source, files: [join(dir, 'garbled')] });
        assert.ok(clean.events > 0 && Object.keys(clean.baselines).length > 0, `${source}: the capture is judged`);
        assert.equal(garbled.events, clean.events);
        assert.deepEqual(garbled.baselines, clean.baselines, 'the same baselines learned');
        assert.equal(JSON.stringify(garbled.alerts), JSON.stringify(clean.alerts));
        const bad = Object.values(garbled.stats.snap.bad[source] ?? {}).reduce((a, b) => a + b, 0) - Object.values(clean.stats.snap.bad[source] ?? {}).reduce((a, b) => a + b, 0);
        assert.equal(bad, n, `${source}: garbage lines counted bad: ${JSON.stringify(garbled.stats.snap.bad[source])}`);
        report({ parser: source, judged: true, garbageLines: n, events: clean.events, alerts: clean.alerts.length });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
