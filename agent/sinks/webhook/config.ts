// webhook sink settings: JSON schema (own keys) and defaults.
import { httpOptionsSchema, type HttpSinkOptions } from '../http.ts';
import type { JsonSchema } from '../types.ts';

export const WEBHOOK_FORMATS = ['native', 'cloudevents', 'ocsf'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookConfig extends HttpSinkOptions {
  /** HMAC-SHA256 key: signs `${timestamp}.${body}` into X-Habitwatch-Signature */
  hmacSecret?: string;
  /** native (default) | cloudevents (CloudEvents 1.0 structured batch) | ocsf (Detection Finding) */
  format: WebhookFormat;
  /** also send repeats of an alert (count grew), with the same idempotency key */
  sendUpdates: boolean;
  /** CloudEvents `source` and OCSF metadata; default "habitwatch" */
  sourceName: string;
}

export const webhookSchema: JsonSchema = {
  required: ['url'],
  properties: {
    ...httpOptionsSchema,
    hmacSecret: { type: 'string', minLength: 1 },
    format: { enum: [...WEBHOOK_FORMATS] },
    sendUpdates: { type: 'boolean' },
    sourceName: { type: 'string', minLength: 1 },
  },
};

export const webhookDefaults: WebhookConfig = { url: '', format: 'native', sendUpdates: false, sourceName: 'habitwatch' };
