// alertmanager sink settings: JSON schema (own keys) and defaults.
import { httpOptionsSchema, type HttpSinkOptions } from '../http.ts';
import { durationSchema, type Duration, type JsonSchema } from '../types.ts';

export interface AlertmanagerConfig extends HttpSinkOptions {
  /** endsAt = lastSeen + resolveAfter: the alert resolves itself when it stops repeating */
  resolveAfter: Duration;
  /** re-send still-firing alerts this often (Alertmanager forgets alerts it stops hearing about) */
  resendInterval: Duration;
  /** base of generatorURL: `${externalURL}/v1/alerts/<id>` */
  externalURL: string;
  /** added to every alert's labels */
  extraLabels: Record<string, string>;
}

export const alertmanagerSchema: JsonSchema = {
  required: ['url'],
  properties: {
    ...httpOptionsSchema,
    resolveAfter: durationSchema,
    resendInterval: durationSchema,
    externalURL: { type: 'string', pattern: '^https?://' },
    extraLabels: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

export const alertmanagerDefaults: AlertmanagerConfig = {
  url: '',
  resolveAfter: '15m',
  resendInterval: '1m',
  externalURL: 'http://habitwatch.invalid',
  extraLabels: {},
};
