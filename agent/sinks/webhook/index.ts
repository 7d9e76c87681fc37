// Generic webhook: JSON batches, signed with HMAC-SHA256 over `${timestamp}.${body}`,
// one idempotency key per alert that survives retries, restarts and updates.
// Payload formats: native, CloudEvents 1.0 (structured, batch), OCSF Detection Finding.
import { createHmac, createHash } from 'node:crypto';
import { defineSink, type Delivery } from '../types.ts';
import { checkResponse, createHttpClient } from '../http.ts';
import { webhookDefaults, webhookSchema, type WebhookConfig } from './config.ts';
import { toCloudEvent, toOcsf } from './formats.ts';

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

export default defineSink<WebhookConfig>({
  type: 'webhook',
  description: 'JSON batches to an HTTP endpoint (native, CloudEvents or OCSF), HMAC-signed',
  configSchema: webhookSchema,
  defaults: webhookDefaults,
  defaultBatchSize: 100,
  wantsUpdates: (c) => c.sendUpdates,
  create(c, ctx) {
    const http = createHttpClient(c);
    return {
      async send(batch, signal) {
        const now = ctx.now();
        const { body, contentType } = renderWebhook(c, batch, now);
        const ts = String(Math.floor(now / 1000));
        // the batch key is stable across retries of the same batch; receivers
        // should dedupe by the per-alert idempotencyKey inside the body
        const batchKey = createHash('sha256')
          .update(batch.map((d) => `${d.idempotencyKey}:${d.revision}`).join(','))
          .digest('hex')
          .slice(0, 32);
        const headers: Record<string, string> = {
          'Content-Type': contentType,
          [TIMESTAMP_HEADER]: ts,
          [IDEMPOTENCY_HEADER]: batch.length === 1 ? batch[0].idempotencyKey : `batch-${batchKey}`,
        };
        if (c.hmacSecret) headers[SIGNATURE_HEADER] = sign(c.hmacSecret, ts, body);
        checkResponse(await http.post(body, headers, ctx.timeoutMs, signal), ctx.now());
      },
      close: () => http.close(),
    };
  },
});
