// The sink registry (one line per sink type), the `sinks` config schema, and
// startDelivery(): the one entry point the agent calls to deliver alerts.
import type { AlertStore } from '../store/alerts.ts';
import type { Db } from '../store/db.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../../collector/log.ts';
import { SEVERITIES } from '../../models/alert.ts';
import { ruleIds } from '../../models/rules/index.ts';
import { didYouMean } from '../config/suggest.ts';
import { Dispatcher, type DropHook, type ResolvedSink } from './dispatcher.ts';
import type { Timer } from '../timer.ts';
import { DELIVER, durationSchema, parseDuration, SinkConfigError, type CommonSinkConfig, type JsonSchema, type SinkConfig, type SinkType } from './types.ts';
import webhook from './webhook/index.ts';
import alertmanager from './alertmanager/index.ts';
import slack from './slack/index.ts';

export const sinkTypes: Record<string, SinkType<object>> = {
  webhook,
  alertmanager,
  slack,
};

/** keys every sink accepts (see CommonSinkConfig) */
export const commonSinkProperties: Record<string, JsonSchema> = {
  name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
  minSeverity: { enum: [...SEVERITIES] },
  namespaces: { type: 'array', items: { type: 'string' } },
  // a rule id nobody raises would silently filter out every alert: only registered ids
  rules: { type: 'array', items: { enum: [...ruleIds] } },
  batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
  timeout: durationSchema,
  retry: { type: 'object', additionalProperties: false, properties: { initial: durationSchema, max: durationSchema } },
  maxQueue: { type: 'integer', minimum: 1 },
  maxAge: durationSchema,
  deliver: { enum: [...DELIVER] },
};

function typeSchema(t: SinkType<object>): JsonSchema {
  const own = t.configSchema as { properties?: Record<string, JsonSchema>; required?: string[] };
  return {
    if: { type: 'object', properties: { type: { const: t.type } }, required: ['type'] },
    then: {
      type: 'object',
      additionalProperties: false,
      required: own.required ?? [],
      properties: { type: {}, ...commonSinkProperties, ...(own.properties ?? {}) },
    },
  };
}

/**
 * JSON schema of the agent config key `sinks`. Discriminated by `type` with if/then
 * rather than oneOf, so a bad webhook entry is reported as "sinks.0: must have
 * required property 'url'", not as a failure to match every other sink type too.
 */
export const sinksConfigSchema: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'name'],
    properties: { type: { enum: Object.keys(sinkTypes) } },
    allOf: Object.values(sinkTypes).map(typeSchema),
  },
};

export const DEFAULTS = {
  timeoutMs: 10_000,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  maxQueue: 10_000,
  maxAgeMs: 24 * 3_600_000,
};

export interface StartDeliveryOptions {
  db: Db;
  alerts: AlertStore;
  metrics: Metrics;
  log: Logger;
  /** the validated `sinks` config array (sinksConfigSchema) */
  sinks: readonly SinkConfigInput[];
  now?: () => number;
  /** clock and timers for backoff and intervals (tests drive them); default: real, with `now` */
  timer?: Timer;
  /** deliveries dropped on purpose (overflow, expired): the agent announces them in a self-alert */
  onDrop?: DropHook;
}

export interface DeliveryHandle {
  /** stop the workers; rows still queued are delivered after the next start */
  stop(): Promise<void>;
  /** resolves when every sink's outbox is empty (tests, graceful shutdown with a deadline) */
  drain(): Promise<void>;
}

/** one element of the `sinks` config key, as the config loader hands it over */
export type SinkConfigInput = { type: string; name?: string } & Record<string, unknown>;

/** Apply defaults and build each sink; throws SinkConfigError on a bad config. */
export function resolveSinks(configs: readonly SinkConfigInput[], log: Logger, now: () => number): ResolvedSink[] {
  const names = new Set<string>();
  return configs.map((input) => {
    const raw = input as SinkConfig;
    const t = sinkTypes[raw.type];
    if (!t) throw new SinkConfigError(`unknown sink type ${JSON.stringify(raw.type)} (known: ${Object.keys(sinkTypes).join(', ')})`);
    if (!raw.name) throw new SinkConfigError(`a ${raw.type} sink needs a name`);
    if (names.has(raw.name)) throw new SinkConfigError(`duplicate sink name ${JSON.stringify(raw.name)}`);
    names.add(raw.name);
    for (const id of (raw.rules as unknown[] | undefined) ?? []) {
      if (typeof id !== 'string' || !ruleIds.includes(id)) throw new SinkConfigError(`sink ${raw.name}: unknown rule id ${JSON.stringify(id)}${typeof id === 'string' ? didYouMean(id, ruleIds) : ''}`);
    }
    const config = { ...t.defaults, ...raw } as object & CommonSinkConfig;
    const timeoutMs = parseDuration(config.timeout, DEFAULTS.timeoutMs);
    const retryInitialMs = parseDuration(config.retry?.initial, DEFAULTS.retryInitialMs);
    const retryMaxMs = Math.max(retryInitialMs, parseDuration(config.retry?.max, DEFAULTS.retryMaxMs));
    const instance = t.create(config, { log: log.child({ sink: raw.name }), now, timeoutMs });
    const deliver = config.deliver ?? 'alerts';
    if (deliver === 'incidents' && instance.sendIncidents === undefined) {
      instance.close?.();
      throw new SinkConfigError(`sink ${raw.name}: a ${t.type} sink cannot deliver incidents`);
    }
    return {
      name: raw.name,
      type: t.type,
      instance,
      minSeverity: config.minSeverity,
      namespaces: config.namespaces,
      rules: config.rules,
      batchSize: config.batchSize ?? t.defaultBatchSize,
      timeoutMs,
      retryInitialMs,
      retryMaxMs,
      maxQueue: config.maxQueue ?? DEFAULTS.maxQueue,
      maxAgeMs: parseDuration(config.maxAge, DEFAULTS.maxAgeMs),
      wantsUpdates: t.wantsUpdates(config),
      resend: t.resend?.(config),
      deliver,
    };
  });
}

/**
 * Registers the outbox enqueue on alerts.onCommit (inside the alert transaction)
 * and starts one worker per sink. Never blocks: delivery runs on its own loops.
 */
export function startDelivery(opts: StartDeliveryOptions): DeliveryHandle {
  const timer = opts.timer;
  const now = timer !== undefined ? () => timer.now() : (opts.now ?? Date.now);
  const log = opts.log.child({ component: 'delivery' });
  const sinks = resolveSinks(opts.sinks, log, now);
  const d = new Dispatcher({ db: opts.db, alerts: opts.alerts, metrics: opts.metrics, log, sinks, now, timer: opts.timer, onDrop: opts.onDrop });
  d.start();
  log.info('delivery started', { sinks: sinks.map((s) => `${s.type}:${s.name}`) });
  return { stop: () => d.stop(), drain: () => d.drain() };
}

export { SinkConfigError, DeliveryError } from './types.ts';
export type { SinkConfig } from './types.ts';
