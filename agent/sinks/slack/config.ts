// slack sink settings: JSON schema (own keys) and defaults.
import { httpOptionsSchema, type HttpSinkOptions } from '../http.ts';
import type { JsonSchema } from '../types.ts';

export interface SlackConfig extends HttpSinkOptions {
  /** optional overrides some Slack-compatible receivers honour */
  channel?: string;
  username?: string;
  iconEmoji?: string;
}

export const slackSchema: JsonSchema = {
  required: ['url'],
  properties: {
    ...httpOptionsSchema,
    channel: { type: 'string' },
    username: { type: 'string' },
    iconEmoji: { type: 'string' },
  },
};

export const slackDefaults: SlackConfig = { url: '' };
