// Tetragon source configuration: which export files to follow in live mode.
import type { JsonSchema } from '../types.ts';

export interface TetragonConfig {
  /** JSON export files to follow (tetragon --export-filename) */
  paths: string[];
  /** poll interval for file growth, ms */
  pollMs: number;
  /** on first start read the existing content too (else begin at the end) */
  fromStart: boolean;
}

export const defaults: TetragonConfig = {
  // Helm chart default, and the package/systemd default
  paths: ['/var/run/cilium/tetragon/tetragon.log', '/var/log/tetragon/tetragon.log'],
  pollMs: 250,
  fromStart: false,
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    paths: { type: 'array', items: { type: 'string', minLength: 1 } },
    pollMs: { type: 'integer', minimum: 10, maximum: 60000 },
    fromStart: { type: 'boolean' },
  },
};
