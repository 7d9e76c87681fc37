// Config slice of the auditd source (agent config: sources.auditd).
import type { JsonSchema } from '../types.ts';

export interface AuditdConfig {
  /** the log auditd writes (auditd.conf log_file) */
  path: string;
  /** how often to check the log for growth, rotation and truncation */
  pollMs: number;
  /** where to start when no position was stored: skip history or read it */
  startAt: 'end' | 'beginning';
  /** close an event whose records stopped arriving this long ago (auditd 3 writes no EOE) */
  eventTimeoutMs: number;
  /** close an event once records this many serials newer arrive */
  serialWindow: number;
  /** most events being assembled at once; the oldest is closed beyond it */
  maxInFlight: number;
  /** live only: read /proc/PID/cgroup (and listener ports) as records arrive */
  procLookup: boolean;
}

export const defaults: AuditdConfig = {
  path: '/var/log/audit/audit.log',
  pollMs: 100,
  startAt: 'end',
  eventTimeoutMs: 2000,
  serialWindow: 64,
  maxInFlight: 2048,
  procLookup: true,
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1 },
    pollMs: { type: 'integer', minimum: 10, maximum: 60000 },
    startAt: { enum: ['end', 'beginning'] },
    eventTimeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
    serialWindow: { type: 'integer', minimum: 1, maximum: 1000000 },
    maxInFlight: { type: 'integer', minimum: 1, maximum: 1000000 },
    procLookup: { type: 'boolean' },
  },
};
