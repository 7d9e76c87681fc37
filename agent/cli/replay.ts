// `habitwatch replay`: the same pipeline, offline. Learns from the first part of the
// input (--learn-events N or --learn-until TIME), then freezes every baseline and
// judges the rest: "what would have alerted". Without a cut, learning runs on event
// time exactly as the live agent would.
import { parseArgs } from 'node:util';
import { silentLogger } from '../../collector/log.ts';
import type { MemoryStats } from '../../collector/stats.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { severityRank, SEVERITIES, type Alert, type Severity } from '../../models/alert.ts';
import { UsageError } from './errors.ts';
import { createProgress } from './progress.ts';
import { table } from './table.ts';

export interface ReplayResult {
  alerts: Alert[];
  stats: MemoryStats;
  events: number;
  baselines: Record<string, number>;
  /** threads the replay ran on (events source: sharded by workload) */
  threads: number;
  /** events judged by another shard than their workload's (input with odd workload keys) */
  misrouted: number;
}

export interface ReplayOptions {
  source: string;
  files: string[];
  learnEvents?: number;
  learnUntil?: number;
  config?: string;
  node?: string;
  /** events source only: judge workloads on this many threads (default 1) */
  threads?: number;
  /** read events through the source's own replay reader, unsharded (the reference the tests compare shards with) */
  viaSource?: boolean;
}

/**
 * Threads for an events replay: one unless asked. Sharding costs ~1.3x the CPU (every
 * thread reads every line, and decodes all of them until the learning cut); on the
 * 2-vCPU machines we measure on, two threads were slower than one while other work ran
 * and ~1.3-1.6x faster only when the machine was idle. Machines with cores to spare can ask.
 */
function replayThreads(o: ReplayOptions): number {
  if (o.files.includes('-')) return 1;
  return o.threads ?? 1;
}

/**
 * The sources that replay files, named in the help. The source registry (every source
 * and what it imports: ~70 modules) is loaded only when a replay runs, so `replay --help`
 * starts about as fast as `node` does; test/bin/habitwatch.test.ts keeps this list equal
 * to the registry's.
 */
export const REPLAY_SOURCES = ['events', 'auditd', 'bpftrace', 'tetragon', 'falco'];

export async function replay(o: ReplayOptions, onProgress?: (events: number) => void): Promise<ReplayResult> {
  const [{ findSource, sources }, { MemoryStats }] = await Promise.all([import('../../collector/sources/index.ts'), import('../../collector/stats.ts')]);
  const def = findSource(o.source);
  if (!def || !def.replay) {
    const names = sources.filter((s) => s.replay).map((s) => s.name);
    throw new UsageError(`--source must be one of: ${names.join(', ')} (got ${o.source})`);
  }
  // loaded here, not at the top: `replay --help` and usage errors stay quick
  const { loadConfigFile } = await import('../config/load.ts');
  const cfg = loadConfigFile(o.config, o.node ? { node: o.node } : {});
  const cut = o.learnEvents !== undefined || o.learnUntil !== undefined;
  // with an explicit cut, baselines learn until the cut and only then become stable
  const learning = cut ? { ...cfg.learning, minLearningMs: Number.POSITIVE_INFINITY } : cfg.learning;
  if (def.name === 'events' && !o.viaSource) {
    // normalised events replay sharded by workload (agent/replay/): one shard is the
    // plain single-threaded pipeline, more shards give the same alerts sooner
    const threads = replayThreads(o);
    const base = { files: o.files, learnEvents: o.learnEvents, learnUntil: o.learnUntil, learning, engine: cfg.engine, node: cfg.node };
    const { replaySharded } = await import('../replay/parallel.ts');
    const r = await replaySharded(base, threads, onProgress);
    return { ...r, alerts: r.alerts.sort(byTimeThenId) };
  }
  const [{ replayPipeline }, { memorySourceState }] = await Promise.all([import('../replay/shard.ts'), import('../store/source-state.ts')]);
  const { profiler, pipeline, alerts } = replayPipeline(learning, cfg.engine);
  const stats = new MemoryStats();
  const ac = new AbortController();
  const ctx = { node: cfg.node, signal: ac.signal, log: silentLogger, stats, state: memorySourceState(), now: () => Date.now() };
  let seen = 0;
  let frozen = !cut;
  let lastTime = 0;
  for await (const batch of def.replay(o.files, ctx, cfg.sources.settings[def.name])) {
    let rest: RuntimeEvent[] = batch;
    if (!frozen) {
      let i = 0;
      for (; i < batch.length; i++) {
        if (o.learnEvents !== undefined && seen + i >= o.learnEvents) break;
        if (o.learnUntil !== undefined && batch[i].time >= o.learnUntil) break;
      }
      if (i > 0) pipeline.handle(batch.slice(0, i));
      seen += i;
      if (i < batch.length) {
        frozen = true;
        profiler.freeze(batch[i].time);
      }
      rest = batch.slice(i);
    }
    if (rest.length > 0) {
      pipeline.handle(rest);
      seen += rest.length;
    }
    lastTime = batch[batch.length - 1]?.time ?? lastTime;
    onProgress?.(seen);
  }
  if (!cut) profiler.tickAll(lastTime);
  const byState: Record<string, number> = {};
  for (const b of profiler.baselines.values()) byState[b.meta.state] = (byState[b.meta.state] ?? 0) + 1;
  const list = [...alerts.values()].sort(byTimeThenId);
  return { alerts: list, stats, events: seen, baselines: byState, threads: 1, misrouted: 0 };
}

function byTimeThenId(a: Alert, b: Alert): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1;
}

const HELP = `usage: habitwatch replay --source NAME FILE… [--learn-events N | --learn-until TIME] [--json]
                        [--config FILE] [--node NAME] [--min-severity LEVEL] [--threads N]
  --threads N  events source: judge workloads on N threads, sharded by workload (default 1)
  FILE may be - for standard input. Sources: ${REPLAY_SOURCES.join(', ')}`;

export async function replayCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WriteStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      source: { type: 'string', short: 's' },
      'learn-events': { type: 'string' },
      'learn-until': { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string', short: 'c' },
      node: { type: 'string' },
      'min-severity': { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(HELP + '\n');
    return 0;
  }
  if (!values.source) throw new UsageError(`--source is required\n${HELP}`);
  if (positionals.length === 0) throw new UsageError(`at least one FILE is required\n${HELP}`);
  if (values['learn-events'] !== undefined && values['learn-until'] !== undefined)
    throw new UsageError('use either --learn-events or --learn-until, not both');
  let learnEvents: number | undefined;
  if (values['learn-events'] !== undefined) {
    learnEvents = Number(values['learn-events']);
    if (!Number.isInteger(learnEvents) || learnEvents < 0) throw new UsageError(`--learn-events must be a whole number (got ${values['learn-events']})`);
  }
  let learnUntil: number | undefined;
  if (values['learn-until'] !== undefined) {
    learnUntil = /^\d+$/.test(values['learn-until']) ? Number(values['learn-until']) : Date.parse(values['learn-until']);
    if (Number.isNaN(learnUntil)) throw new UsageError(`--learn-until must be ISO 8601 or epoch ms (got ${values['learn-until']})`);
  }
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be a whole number from 1 to 64 (got ${values.threads})`);
  }
  const minSev = values['min-severity'] as Severity | undefined;
  if (minSev !== undefined && !SEVERITIES.includes(minSev)) throw new UsageError(`--min-severity must be one of ${SEVERITIES.join(', ')}`);

  const progress = createProgress('replay', err);
  const t0 = performance.now();
  const r = await replay(
    { source: values.source, files: positionals, learnEvents, learnUntil, config: values.config, node: values.node, threads },
    (n) => progress.update(() => `${n.toLocaleString('en-US')} events, ${Math.round(n / ((performance.now() - t0) / 1000)).toLocaleString('en-US')}/s`),
  );
  progress.done();
  const shown = minSev ? r.alerts.filter((a) => severityRank(a.severity) >= severityRank(minSev)) : r.alerts;
  if (values.json) {
    for (const a of shown) out.write(JSON.stringify(a) + '\n');
  } else if (shown.length > 0) {
    out.write(
      table(
        ['TIME', 'SEVERITY', 'RULE', 'WORKLOAD', 'COUNT', 'SUMMARY'],
        shown.map((a) => [a.time, a.severity, a.rule, `${a.workload.id}#${a.workload.container ?? ''}`, String(a.count), a.summary]),
        70,
      ) + '\n',
    );
  } else out.write('no alerts\n');
  err.write(summary(r, (performance.now() - t0) / 1000) + '\n');
  return 0;
}

function summary(r: ReplayResult, secs: number): string {
  const lines = [`replay: ${r.events} events in ${secs.toFixed(2)}s${r.threads > 1 ? ` on ${r.threads} threads` : ''}; ${r.alerts.length} alerts`];
  if (r.misrouted > 0)
    lines.push(`note: ${r.misrouted} event(s) had a workload id other than their line's first "workload":{"id":…}; those workloads were judged on several threads (use --threads 1 for exact results)`);
  const states = Object.entries(r.baselines).map(([s, n]) => `${n} ${s}`).join(', ');
  lines.push(`baselines: ${states || 'none'}`);
  const byRule = new Map<string, number>();
  for (const a of r.alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  if (byRule.size > 0) lines.push(`alerts by rule: ${[...byRule].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const bad = r.stats.snap.bad;
  const total = r.stats.totalBad();
  if (total > 0) {
    lines.push(`bad input: ${total} record(s) skipped`);
    for (const [src, reasons] of Object.entries(bad)) {
      for (const [reason, n] of Object.entries(reasons)) {
        const ex = r.stats.snap.examples[`${src}/${reason}`]?.[0];
        lines.push(`  ${src} ${reason}: ${n}${ex ? `  e.g. ${ex.slice(0, 100)}` : ''}`);
      }
    }
  } else lines.push('bad input: none');
  for (const [src, reasons] of Object.entries(r.stats.snap.repaired)) {
    for (const [reason, n] of Object.entries(reasons)) lines.push(`  ${src} ${reason}: ${n} record(s) kept, invalid bytes shown as U+FFFD`);
  }
  return lines.join('\n');
}
