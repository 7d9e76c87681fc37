// The contract every source folder implements (collector/sources/<name>/index.ts).
import type { RuntimeEvent } from '../event.ts';
import type { Logger } from '../log.ts';
import type { SourceStats } from '../stats.ts';

/** JSON Schema fragment (draft 2020-12 subset understood by ajv) for a config slice */
export type JsonSchema = Record<string, unknown>;

/** Small persistent key/value area a source may use (e.g. audit log offsets). */
export interface SourceState {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export interface SourceContext {
  /** node name stamped on every event */
  node: string;
  signal: AbortSignal;
  log: Logger;
  stats: SourceStats;
  state: SourceState;
  /** wall clock in epoch ms; injected so tests can control it */
  now(): number;
  /**
   * A source says when it starts (and stops) observing: bpftrace once its probes are
   * attached, a file source once its follower is positioned in the file. The agent is
   * not ready (/readyz 503) while a source that declares reportsObserving is not.
   */
  observing?(ok: boolean): void;
}

/**
 * Sources yield batches of events: a batch amortises the per-item cost of async
 * iteration (which dominates at hundreds of thousands of events per second) and is
 * the unit of backpressure — a source awaits the consumer before reading more.
 */
export type EventBatches = AsyncIterable<RuntimeEvent[]>;

export interface SourceDefinition<C = unknown> {
  name: string;
  description: string;
  /**
   * Every reason this source counts bad input under (`stats.bad`, the metric
   * habitwatch_parse_errors_total{source,reason}), as docs/operations.md lists them: a
   * test checks that the docs, the code and fuzzing agree.
   */
  parseErrors: readonly string[];
  configSchema: JsonSchema;
  defaults: C;
  /** problems the schema cannot express (checked once, when the config is loaded) */
  check?(config: C): string[];
  /** true when it can run live on this machine, else a human-readable reason */
  available?(config: C, ctx: Pick<SourceContext, 'log'>): Promise<true | string>;
  /** follow the node's live activity until ctx.signal aborts */
  live?(config: C, ctx: SourceContext): EventBatches;
  /** live mode reports ctx.observing(true) once attached (the agent waits for it) */
  reportsObserving?: boolean;
  /**
   * Place in automatic selection (`sources.enabled: auto`): of the sources that are
   * available, the one with the lowest rank runs. Without a rank it runs only when named.
   */
  autoRank?: number;
  /** its events happen on this very host: /proc and the cgroup tree attribute them (pid → process, cgroup id → path) */
  observesHost?: boolean;
  /** counters the source keeps about itself, exported as they are when metrics are scraped */
  counters?: readonly SourceCounter[];
  /** decode recorded files (replay mode); finishes at end of input */
  replay?(files: string[], ctx: SourceContext, config?: C): EventBatches;
}

/** a monotonic count a source keeps itself (e.g. its polls), exported as the Prometheus counter `name` */
export interface SourceCounter {
  /** full metric name, habitwatch_<source>_…_total */
  name: string;
  help: string;
  value(): number;
}

export function defineSource<C>(def: SourceDefinition<C>): SourceDefinition<C> {
  return def;
}

/**
 * A source may attach an acknowledgement to a batch: the pipeline calls it once the
 * batch's alerts are committed. Sources store resume offsets there, so a crash
 * replays (at least once) rather than skips what was read but not yet judged.
 */
export const BATCH_ACK: unique symbol = Symbol('habitwatch.batchAck');
export type AckableBatch = RuntimeEvent[] & { [BATCH_ACK]?: () => void };

export function withAck(batch: RuntimeEvent[], ack: () => void): AckableBatch {
  return Object.assign(batch, { [BATCH_ACK]: ack });
}
