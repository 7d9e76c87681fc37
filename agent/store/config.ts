// The `store` config section: flush interval, baselines kept in memory, retention.
import { durationSchema, parseDuration } from '../config/duration.ts';
import { DEFAULT_RETENTION, type Limit, type RetentionConfig } from './retention.ts';

export interface StoreConfig {
  /** baselines are written at least this often (≤ 1 s: the crash-loss budget) */
  flushIntervalMs: number;
  /** baselines kept in memory; the least recently used saved ones beyond it are read again when needed */
  maxBaselinesInMemory: number;
  /** a saved baseline no event used for this long leaves memory too (read again when its workload is back) */
  idleBaselineMs: number;
  retention: RetentionConfig;
}

export const DEFAULT_STORE: StoreConfig = { flushIntervalMs: 500, maxBaselinesInMemory: 1000, idleBaselineMs: 15 * 60_000, retention: DEFAULT_RETENTION };

const limit = (age: string): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  properties: { [age]: durationSchema, maxCount: { type: 'integer', minimum: 1 } },
});

export const storeConfigSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    flushInterval: durationSchema,
    maxBaselinesInMemory: { type: 'integer', minimum: 1 },
    idleBaselines: durationSchema,
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: { alerts: limit('maxAge'), incidents: limit('maxAge'), audit: limit('maxAge'), baselines: limit('maxIdle') },
    },
  },
};

type RawLimit = { maxAge?: string | number; maxIdle?: string | number; maxCount?: number } | undefined;

function parseLimit(raw: RawLimit, d: Limit): Limit {
  const age = raw?.maxAge ?? raw?.maxIdle;
  return { maxAgeMs: age !== undefined ? parseDuration(age) : d.maxAgeMs, maxCount: raw?.maxCount ?? d.maxCount };
}

/** the validated (storeConfigSchema) section, defaults applied */
export function parseStoreConfig(raw: unknown): StoreConfig {
  const r = (raw ?? {}) as { flushInterval?: string | number; maxBaselinesInMemory?: number; idleBaselines?: string | number; retention?: Record<string, RawLimit> };
  const ret = r.retention ?? {};
  const d = DEFAULT_STORE.retention;
  return {
    flushIntervalMs: r.flushInterval !== undefined ? parseDuration(r.flushInterval) : DEFAULT_STORE.flushIntervalMs,
    maxBaselinesInMemory: r.maxBaselinesInMemory ?? DEFAULT_STORE.maxBaselinesInMemory,
    idleBaselineMs: r.idleBaselines !== undefined ? parseDuration(r.idleBaselines) : DEFAULT_STORE.idleBaselineMs,
    retention: {
      alerts: parseLimit(ret.alerts, d.alerts),
      incidents: parseLimit(ret.incidents, d.incidents),
      audit: parseLimit(ret.audit, d.audit),
      baselines: parseLimit(ret.baselines, d.baselines),
    },
  };
}
