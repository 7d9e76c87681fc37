// A/B of the events replay between checkouts, fine-grained enough for a noisy VM:
//
//   node --import tsx bench/ab-replay.ts [--file F] [--passes N] [--learn N] OTHER_TREE…
//
// The parse floor (split + JSON.parse), this tree's replay and each other tree's replay
// take the same 256 KiB chunk in turn, in a rotating order, so the machine's speed drift
// (±40% over seconds here) hits them all alike; separate runs cannot tell a 5% change
// from noise, this can (two runs of one tree agree within ~1.5%). Each tree must have
// ShardReplay.feed (agent/replay/shard.ts). Without --file, the core bench's input is
// generated (500k events, the first 50k learn). Figures are µs per event of wall time on
// the thread; the ratios are floor ÷ replay in wall and in CPU time (the second is
// `npm run bench core`'s budget figure).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { replayBenchEvents, REPLAY_LEARN_EVENTS } from './gen.ts';
import { interleave, floorFeed, timed, type Feed, type Timed } from './interleave.ts';

interface Variant extends Timed {
  result?: () => { alerts: unknown[]; events: number };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { file: { type: 'string' }, passes: { type: 'string', default: '3' }, learn: { type: 'string', default: String(REPLAY_LEARN_EVENTS) } },
});
const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const trees = [here, ...positionals.map((p) => resolve(p))];
const learnEvents = Number(values.learn);
// progress in place on a terminal; elsewhere only the start of each step
const progress = (m: string, step = false): void => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${m}`);
  else if (step) process.stderr.write(`${m}\n`);
};

let tmp: string | undefined;
let file = values.file;
if (file === undefined) {
  tmp = mkdtempSync(join(tmpdir(), 'habitwatch-ab-'));
  file = join(tmp, 'replay.jsonl');
  progress('generating 500,000 events', true);
  writeFileSync(file, replayBenchEvents(500_000).map((e) => JSON.stringify(e)).join('\n') + '\n');
}
const data = readFileSync(file);

async function replayOf(tree: string, i: number): Promise<Variant> {
  const mod = (p: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(tree, p)).href);
  const { ShardReplay } = (await mod('agent/replay/shard.ts')) as { ShardReplay: new (p: unknown) => { feed(f: string): Feed; finish(t: number): { alerts: unknown[]; events: number } } };
  const { DEFAULT_LEARNING } = (await mod('models/baseline/baseline.ts')) as { DEFAULT_LEARNING: object };
  const { DEFAULT_ENGINE } = (await mod('models/engine.ts')) as { DEFAULT_ENGINE: object };
  const s = new ShardReplay({
    files: [file],
    learnEvents,
    learning: { ...DEFAULT_LEARNING, minLearningMs: Number.POSITIVE_INFINITY },
    engine: DEFAULT_ENGINE,
    node: 'ab',
    shard: 0,
    shards: 1,
  });
  if (typeof s.feed !== 'function') throw new Error(`${tree}: ShardReplay has no feed(); this tree cannot be compared`);
  return { ...timed(i === 0 ? 'this' : `tree${i}`, s.feed(file!)), result: () => s.finish(0) };
}

try {
  const passes = Number(values.passes);
  for (let p = 1; p <= passes; p++) {
    const vs: Variant[] = [timed('floor', floorFeed())];
    for (let i = 0; i < trees.length; i++) vs.push(await replayOf(trees[i], i));
    interleave(data, vs, (f) => progress(`pass ${p}/${passes}: ${Math.round(100 * f)}%`, f === 0));
    progress('');
    const f = Number(vs[0].ns);
    const fc = vs[0].cpuUs;
    const parts = vs.map((v) => {
      const r = v.result?.();
      const us = (Number(v.ns) / 1e3 / (r?.events ?? 1)).toFixed(2);
      return r
        ? `${v.name} ${us} µs/ev ratio ${(f / Number(v.ns)).toFixed(3)} (CPU ${(fc / v.cpuUs).toFixed(3)}; ${r.events} events, ${r.alerts.length} alerts)`
        : `floor ${(f / 1e6).toFixed(0)} ms`;
    });
    console.log(`pass ${p}: ${parts.join(' | ')}`);
  }
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
for (const t of trees.slice(1)) console.log(`tree${trees.indexOf(t)} = ${t}`);
