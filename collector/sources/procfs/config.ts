// procfs source configuration.
import type { JsonSchema } from '../types.ts';

export interface ProcfsConfig {
  /** poll interval, ms; shorter sees more short-lived processes and costs more CPU */
  intervalMs: number;
  /** where procfs is mounted (a host /proc mounted into the agent's container, e.g. /host/proc) */
  procRoot: string;
  /** report new processes (exec) */
  exec: boolean;
  /** report listeners and connections from /proc/net */
  net: boolean;
  /** at start, report what already runs / listens / is connected */
  reportExisting: boolean;
  maxAncestors: number;
}

export const defaults: ProcfsConfig = {
  intervalMs: 1000,
  procRoot: '/proc',
  exec: true,
  net: true,
  reportExisting: true,
  maxAncestors: 4,
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    intervalMs: { type: 'integer', minimum: 20, maximum: 600000 },
    procRoot: { type: 'string', minLength: 1 },
    exec: { type: 'boolean' },
    net: { type: 'boolean' },
    reportExisting: { type: 'boolean' },
    maxAncestors: { type: 'integer', minimum: 0, maximum: 64 },
  },
};
