// Generic webhook: JSON batches, signed with HMAC-SHA256 over `${timestamp}.${body}`,
// one idempotency key per alert that survives retries, restarts and updates.
// Payload formats: native, CloudEvents 1.0 (structured, batch), OCSF Detection Finding.
import { createHmac, createHash } from 'node:crypto';
import { defineSink, type Delivery, type IncidentDelivery } from '../types.ts';
import { checkResponse, createHttpClient } from '../http.ts';
import { webhookDefaults, webhookSchema, type WebhookConfig } from './config.ts';
import { toCloudEvent, toOcsf } from './formats.ts';
import { incidentCloudEvent, incidentOcsf } from './incident-formats.ts';

export const SIGNATURE_HEADER = 'X-Habitwatch-Signature';
export const TIMESTAMP_HEADER = 'X-Habitwatch-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `sha256=<hex>` over `${timestamp}.${body}`; receivers recompute and compare */
export function sign(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function renderWebhook(c: Pick<WebhookConfig, 'format' | 'sourceName'>, batch: Delivery[], now: number): { body: string; contentType: string } {
  switch (c.format) {
    case 'cloudevents':
      return { body: JSON.stringify(batch.map((d) => toCloudEvent(d, c.sourceName))), contentType: 'application/cloudevents-batch+json' };
    case 'ocsf':
      return { body: JSON.stringify(batch.map((d) => toOcsf(d, c.sourceName))), contentType: 'application/json' };
    default:
      return {
        body: JSON.stringify({
          version: 'habitwatch.webhook/v1',
          sentAt: new Date(now).toISOString(),
          alerts: batch.map((d) => ({ idempotencyKey: d.idempotencyKey, revision: d.revision, update: d.update, alert: d.alert })),
        }),
        contentType: 'application/json',
      };
  }
}

/** the same envelopes for incidents (a sink with `deliver: incidents`) */
export function renderWebhookIncidents(c: Pick<WebhookConfig, 'format' | 'sourceName'>, batch: IncidentDelivery[], now: number): { body: string; contentType: string } {
  switch (c.format) {
    case 'cloudevents':
      return { body: JSON.stringify(batch.map((d) => incidentCloudEvent(d, c.sourceName))), contentType: 'application/cloudevents-batch+json' };
    case 'ocsf':
      return { body: JSON.stringify(batch.map((d) => incidentOcsf(d, c.sourceName))), contentType: 'application/json' };
    default:
      return {
        body: JSON.stringify({
          version: 'habitwatch.webhook/v1',
          sentAt: new Date(now).toISOString(),
          incidents: batch.map((d) => ({ idempotencyKey: d.idempotencyKey, revision: d.revision, update: d.update, incident: d.incident })),
        }),
        contentType: 'application/json',
      };
  }
}

export default defineSink<WebhookConfig>({
  type: 'webhook',
  description: 'JSON batches to an HTTP endpoint (native, CloudEvents or OCSF), HMAC-signed',
  configSchema: webhookSchema,
  defaults: webhookDefaults,
  defaultBatchSize: 100,
  wantsUpdates: (c) => c.sendUpdates,
  create(c, ctx) {
    const http = createHttpClient(c);
    /** one signed POST; keys are the deliveries' (idempotency key, revision) */
    const post = async (rendered: { body: string; contentType: string }, keys: { idempotencyKey: string; revision: number }[], now: number, signal: AbortSignal): Promise<void> => {
      const { body, contentType } = rendered;
      const ts = String(Math.floor(now / 1000));
      // the batch key is stable across retries of the same batch; receivers
      // should dedupe by the per-delivery idempotencyKey inside the body
      const batchKey = createHash('sha256')
        .update(keys.map((d) => `${d.idempotencyKey}:${d.revision}`).join(','))
        .digest('hex')
        .slice(0, 32);
      const headers: Record<string, string> = {
        'Content-Type': contentType,
        [TIMESTAMP_HEADER]: ts,
        [IDEMPOTENCY_HEADER]: keys.length === 1 ? keys[0].idempotencyKey : `batch-${batchKey}`,
      };
      if (c.hmacSecret) headers[SIGNATURE_HEADER] = sign(c.hmacSecret, ts, body);
      checkResponse(await http.post(body, headers, ctx.timeoutMs, signal), ctx.now());
    };
    return {
      async send(batch, signal) {
        const now = ctx.now();
        await post(renderWebhook(c, batch, now), batch, now, signal);
      },
      async sendIncidents(batch, signal) {
        const now = ctx.now();
        await post(renderWebhookIncidents(c, batch, now), batch, now, signal);
      },
      close: () => http.close(),
    };
  },
});
