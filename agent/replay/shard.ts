// One shard of an events replay: reads every line of the input, decodes only the
// lines whose workload hashes to this shard, and runs them through its own
// pipeline. All state that detection keeps (baselines, open alerts, drift memory)
// is per workload container, so shards never need each other's events and the
// union of their alerts is exactly what one pipeline would raise.
//
// The learning cut is global (the N-th valid event of the file, or the first at or
// after a time), so until it is reached every shard decodes every line to count;
// after it, other shards' lines are skipped from their bytes alone.
import { LineScanner, openInput, utf8Line } from '../../collector/lines.ts';
import { EventLineDecoder } from '../../collector/sources/events/line-decoder.ts';
import { createEnricher, type Enricher } from '../../collector/enrich/index.ts';
import { KubeStep } from '../../collector/enrich/kube/step.ts';
import { PodIndex } from '../../collector/enrich/kube/pods.ts';
import { silentLogger } from '../../collector/log.ts';
import { MemoryStats, type StatsSnapshot } from '../../collector/stats.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { Alert } from '../../models/alert.ts';
import type { LearningConfig } from '../../models/baseline/baseline.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, type EngineConfig } from '../../models/engine.ts';
import { rules } from '../../models/rules/index.ts';
import { Pipeline } from '../pipeline.ts';
import { LineRouter, idShard } from './route.ts';

export interface ShardParams {
  files: string[];
  shard: number;
  shards: number;
  learnEvents?: number;
  learnUntil?: number;
  /** learning thresholds as replay uses them (no time-based stability with a cut) */
  learning: LearningConfig;
  engine: EngineConfig;
  node: string;
}

export interface ShardRead {
  /** valid events this shard judged */
  events: number;
  /** global line number and time of this shard's last valid event (-1: none) */
  lastLine: number;
  lastTime: number;
}

export interface ShardResult {
  alerts: Alert[];
  stats: StatsSnapshot;
  events: number;
  baselines: Record<string, number>;
  /** events whose decoded workload hashed elsewhere than their bytes said (judged here anyway) */
  misrouted: number;
}

const BATCH = 512;

/**
 * Replay's enrichment: what an event names stays; a pod's container that is named by
 * nothing but its cgroup path gets the pod UID identity (`host/pod/<uid>`, enrich/kube/
 * identity.ts tier 3), never its container id alone. No API and no node to ask: the
 * input may come from anywhere. Time is fixed so that identities never expire.
 */
export function replayEnricher(): Enricher {
  return createEnricher([], { fill: new KubeStep({ pods: new PodIndex(), fillOnly: true, now: () => 0 }) });
}

/**
 * The pipeline a replay judges with: learning from the input, alerts kept by id.
 * Incidents group within a scope only (no process-tree joins across workloads), so a
 * replay sharded by workload gives exactly the alerts of one thread, incident ids too.
 */
export function replayPipeline(learning: LearningConfig, engineCfg: EngineConfig): { profiler: Profiler; pipeline: Pipeline; alerts: Map<string, Alert> } {
  const profiler = new Profiler(learning);
  const alerts = new Map<string, Alert>();
  const pipeline = new Pipeline({
    engine: new Engine(profiler, rules, { ...engineCfg, incidents: { ...engineCfg.incidents, processTree: false } }),
    enricher: replayEnricher(),
    log: silentLogger,
    now: () => 0,
    onAlert: (u) => alerts.set(u.alert.id, u.alert),
  });
  return { profiler, pipeline, alerts };
}

export class ShardReplay {
  readonly stats = new MemoryStats();
  private readonly profiler: Profiler;
  private readonly pipeline: Pipeline;
  private readonly alerts: Map<string, Alert>;
  private readonly enricher = replayEnricher();
  private readonly router: LineRouter;
  private readonly decoder: EventLineDecoder;
  private readonly cut: boolean;
  /** before the cut every line is decoded, to count valid events in file order */
  private counting: boolean;
  private seenBeforeCut = 0;
  private line = 0;
  private batch: RuntimeEvent[] = [];
  private readonly one: RuntimeEvent[] = [];
  private mine: ShardRead = { events: 0, lastLine: -1, lastTime: 0 };
  misrouted = 0;

  constructor(private readonly p: ShardParams) {
    ({ profiler: this.profiler, pipeline: this.pipeline, alerts: this.alerts } = replayPipeline(p.learning, p.engine));
    this.router = new LineRouter(p.shards);
    this.decoder = new EventLineDecoder({ node: p.node });
    this.cut = p.learnEvents !== undefined || p.learnUntil !== undefined;
    this.counting = this.cut;
  }

  /** Read all input; onProgress gets this shard's event count now and then. */
  async read(onProgress?: (events: number) => void): Promise<ShardRead> {
    for (const file of this.p.files) {
      await this.readFile(file);
      onProgress?.(this.mine.events);
    }
    return this.mine;
  }

  /** After every shard has read: the last tick at the file's last event time, then results. */
  finish(lastTime: number): ShardResult {
    this.flush();
    if (!this.cut) this.profiler.tickAll(lastTime);
    const baselines: Record<string, number> = {};
    for (const b of this.profiler.baselines.values()) baselines[b.meta.state] = (baselines[b.meta.state] ?? 0) + 1;
    return { alerts: [...this.alerts.values()], stats: this.stats.snap, events: this.mine.events, baselines, misrouted: this.misrouted };
  }

  // Lines as byte ranges (LineScanner: the same cap, carry and partial-line rules as
  // splitLines) rather than strings: most lines belong to other shards.
  private async readFile(file: string): Promise<void> {
    const input = openInput(file);
    const feed = this.feed(file);
    try {
      for await (const raw of input) feed.push(typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer));
      feed.end();
    } finally {
      if (file !== '-') input.destroy();
    }
  }

  /**
   * Push one file's bytes chunk by chunk (readFile does; so does bench/ab-replay.ts,
   * which interleaves two versions of this code on the same chunks). Each chunk's lines
   * are judged together when the chunk ends.
   */
  feed(file: string): { push(buf: Buffer): void; end(): void } {
    const scanner = new LineScanner();
    const onLine = (buf: Buffer, start: number, end: number): void => this.onLine(buf, start, end);
    const onTooLong = (): void => this.tooLong(file);
    return {
      push: (buf) => {
        this.router.reset();
        scanner.push(buf, onLine, onTooLong);
        if (this.batch.length >= BATCH) this.flush();
      },
      end: () => {
        this.router.reset();
        scanner.end(onLine);
        this.flush();
      },
    };
  }

  private tooLong(file: string): void {
    this.line++;
    // counted once, by shard 0: no shard can tell whose it was
    if (this.p.shard === 0) this.stats.bad('events', 'line_too_long', `${file}: line over 1 MiB`);
  }

  private owns(route: number): boolean {
    return route === this.p.shard || (route === -1 && this.p.shard === 0);
  }

  private onLine(buf: Buffer, start: number, end: number): void {
    const line = this.line++;
    if (end > start && buf[end - 1] === 13) end--;
    if (end === start) return;
    let route = this.p.shards === 1 ? 0 : this.router.route(buf, start, end);
    if (!this.counting && route !== -1 && route !== this.p.shard) return;
    const text = utf8Line(buf, start, end);
    if (text === undefined) {
      if (this.owns(route)) this.stats.bad('events', 'bad_encoding', `not UTF-8: ${buf.toString('utf8', start, Math.min(end, start + 4096))}`);
      return;
    }
    if (text.charCodeAt(0) <= 32 && text.trim() === '') return;
    const r = this.decoder.decode(text);
    if (!r.ok) {
      if (this.owns(route)) this.stats.bad('events', r.reason, r.detail);
      return;
    }
    const ev = r.event;
    if (route === -1) {
      // the workload comes from decoding (or from enrichment when the event has none)
      this.one[0] = ev;
      this.enricher.enrich(this.one);
      route = idShard(ev.workload!.id, this.p.shards);
    } else if (this.p.shards > 1 && route === this.p.shard && (ev.workload === undefined || idShard(ev.workload.id, this.p.shards) !== route)) {
      this.misrouted++;
    }
    if (this.counting) {
      const p = this.p;
      if ((p.learnEvents !== undefined && this.seenBeforeCut >= p.learnEvents) || (p.learnUntil !== undefined && ev.time >= p.learnUntil)) {
        // events before the cut learn, this one and all after it are judged
        this.flush();
        this.profiler.freeze(ev.time);
        this.counting = false;
      } else this.seenBeforeCut++;
    }
    if (route !== this.p.shard) return;
    this.mine.events++;
    this.mine.lastLine = line;
    this.mine.lastTime = ev.time;
    this.batch.push(ev);
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    this.stats.received('events', b.length);
    this.pipeline.handle(b);
  }
}
