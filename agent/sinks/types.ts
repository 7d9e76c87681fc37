// The contract every sink folder implements (agent/sinks/<type>/index.ts), plus the
// per-sink settings every sink shares (name, filters, retry, bounds).
import { durationSchema, parseDuration as parseConfigDuration } from '../config/duration.ts';
import type { Alert, Severity } from '../../models/alert.ts';
import type { Incident } from '../../models/incident.ts';
import type { Logger } from '../../collector/log.ts';

/** JSON Schema fragment (ajv, draft 2020-12 subset) for a config slice */
export type JsonSchema = Record<string, unknown>;

/** a duration: milliseconds as a number, or a string like "250ms", "10s", "5m", "1h", "1d" */
export type Duration = number | string;

export interface RetryConfig {
  /** first backoff (default 1s) */
  initial?: Duration;
  /** backoff ceiling (default 30s) */
  max?: Duration;
}

/** Keys every sink accepts, whatever its type. */
export interface CommonSinkConfig {
  type: string;
  /** unique per agent; the outbox and metrics are keyed by it */
  name: string;
  /** only alerts at or above this severity (default: all) */
  minSeverity?: Severity;
  /** only alerts from these namespaces (default: all); '' matches alerts without one */
  namespaces?: string[];
  /** only these rule ids (default: all) */
  rules?: string[];
  /** alerts per request (default: the type's own) */
  batchSize?: number;
  /** per-request timeout (default 10s) */
  timeout?: Duration;
  retry?: RetryConfig;
  /** outbox bound: pending deliveries for this sink before the oldest are dropped (default 10000) */
  maxQueue?: number;
  /** outbox bound: deliveries older than this are dropped (default 24h) */
  maxAge?: Duration;
  /** what this sink sends: every alert (default), or incidents — the alerts of one attack, grouped, what pages a human */
  deliver?: DeliverWhat;
}

export const DELIVER = ['alerts', 'incidents'] as const;
export type DeliverWhat = (typeof DELIVER)[number];

export type SinkConfig = CommonSinkConfig & Record<string, unknown>;

/** One alert handed to a sink. */
export interface Delivery {
  /** the alert as stored now (latest count and lastSeen) */
  alert: Alert;
  /** same for every (re)delivery and update of one alert, so receivers can upsert */
  idempotencyKey: string;
  /** alert count when queued: grows with repeats */
  revision: number;
  /** true when this re-delivers an alert already sent (a repeat, or a re-send while firing) */
  update: boolean;
}

/** One incident handed to a sink (a sink with `deliver: incidents`). */
export interface IncidentDelivery {
  /** the incident as stored now (latest timeline, severity and counts) */
  incident: Incident;
  /** the incident id: the same for every (re)delivery and update of one incident */
  idempotencyKey: string;
  /** incident occurrence count when queued: grows with its alerts */
  revision: number;
  /**
   * false for a new incident; true when it re-delivers one already sent: escalated to a
   * higher severity (every sink gets that), or grown / still active (sinks that want updates)
   */
  update: boolean;
}

export interface SinkContext {
  log: Logger;
  now(): number;
  /** the sink's per-request timeout, resolved */
  timeoutMs: number;
}

export interface SinkInstance {
  /** deliver a batch, or throw DeliveryError (anything else counts as retryable) */
  send(batch: Delivery[], signal: AbortSignal): Promise<void>;
  /** deliver a batch of incidents (required for `deliver: incidents`), or throw DeliveryError */
  sendIncidents?(batch: IncidentDelivery[], signal: AbortSignal): Promise<void>;
  close?(): void;
}

export interface SinkType<C extends object> {
  type: string;
  description: string;
  /** the type's own keys (the common keys are added by the registry) */
  configSchema: JsonSchema;
  defaults: C;
  defaultBatchSize: number;
  /** should repeats (count grew) be queued again? */
  wantsUpdates(config: C): boolean;
  /** re-send alerts that are still firing every intervalMs (Alertmanager needs it) */
  resend?(config: C): { intervalMs: number; windowMs: number } | undefined;
  create(config: C & CommonSinkConfig, ctx: SinkContext): SinkInstance;
}

export function defineSink<C extends object>(def: SinkType<C>): SinkType<C> {
  return def;
}

/**
 * Why a delivery failed. `reason` is a short fixed token (metrics, logs);
 * retryable failures are tried again with backoff, the others are dropped.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly reason: string,
    message: string,
    readonly retryable: boolean,
    /** from a Retry-After header */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class SinkConfigError extends Error {
  override name = 'SinkConfigError';
}


export { durationSchema };

export function parseDuration(d: Duration | undefined, fallbackMs: number): number {
  if (d === undefined) return fallbackMs;
  try {
    return parseConfigDuration(d);
  } catch {
    throw new SinkConfigError(`invalid duration ${JSON.stringify(d)} (use e.g. 500ms, 10s, 5m, 1h)`);
  }
}
