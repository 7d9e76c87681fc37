// Falco source configuration: alert files to follow and the http_output ingest endpoint.
import type { JsonSchema } from '../types.ts';

export interface FalcoHttpConfig {
  enabled: boolean;
  /** host:port; loopback by default. Point Falco's http_output.url at it. */
  listen: string;
  /** when set, requests must carry `Authorization: Bearer <token>` */
  token?: string;
  maxBodyBytes: number;
}

export interface FalcoConfig {
  /** Falco file_output files (json_output: true) to follow */
  paths: string[];
  pollMs: number;
  fromStart: boolean;
  /** use the alert's hostname as node (it may be the Falco pod's name) instead of ours */
  nodeFromEvent: boolean;
  http: FalcoHttpConfig;
}

export const defaults: FalcoConfig = {
  paths: [],
  pollMs: 250,
  fromStart: false,
  nodeFromEvent: false,
  http: { enabled: true, listen: '127.0.0.1:2801', maxBodyBytes: 1024 * 1024 },
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    paths: { type: 'array', items: { type: 'string', minLength: 1 } },
    pollMs: { type: 'integer', minimum: 10, maximum: 60000 },
    fromStart: { type: 'boolean' },
    nodeFromEvent: { type: 'boolean' },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]*):\\d{1,5}$' },
        token: { type: 'string', minLength: 1 },
        maxBodyBytes: { type: 'integer', minimum: 1024, maximum: 67108864 },
      },
    },
  },
};
