// Configuration slice of the bpftrace source: JSON schema + production defaults.
import type { JsonSchema } from '../types.ts';
import { DEFAULT_SENSITIVE_PATHS } from './sensitive.ts';

export interface BpftraceConfig {
  /** bpftrace binary (name on PATH or absolute path) */
  bpftracePath: string;
  /** seconds per in-kernel syscall aggregation interval */
  intervalS: number;
  /** keep only events whose cgroup path starts with one of these (e.g. /kubepods); empty = all */
  cgroupPrefixes: string[];
  /** aggregate raw_syscalls per cgroup (the costliest probe: it runs on every syscall) */
  syscalls: boolean;
  /** perf ring buffer pages per CPU (BPFTRACE_PERF_RB_PAGES); more pages, fewer lost events */
  perfRbPages: number;
  /** BPF map size (BPFTRACE_MAP_KEYS_MAX): cgroups × syscalls for @sc */
  mapKeysMax: number;
  /**
   * read-only opens of these paths become file_open events, matched in the kernel (every
   * other read costs a few compares and never reaches the agent): absolute paths, a
   * trailing / for a whole directory, at most one * for one path segment. [] = no reads.
   */
  sensitivePaths: string[];
  /** mount tracefs/debugfs when missing */
  mountTracefs: boolean;
  /**
   * ms between reads of bpftrace's output under load: more records per wake-up (0: read
   * as they come); shortened to what the output pipe holds (window.ts: ~21 ms when the
   * pipe could not be enlarged from 64 KiB)
   */
  readWindowMs: number;
  /** restart backoff after the child dies: doubles from min up to max, with jitter (collector/backoff.ts) */
  restartMinMs: number;
  restartMaxMs: number;
}

export const defaults: BpftraceConfig = {
  bpftracePath: 'bpftrace',
  intervalS: 10,
  cgroupPrefixes: [],
  syscalls: true,
  perfRbPages: 256,
  mapKeysMax: 65536,
  sensitivePaths: [...DEFAULT_SENSITIVE_PATHS],
  mountTracefs: true,
  readWindowMs: 100,
  restartMinMs: 1000,
  restartMaxMs: 30000,
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    bpftracePath: { type: 'string', minLength: 1 },
    intervalS: { type: 'integer', minimum: 1, maximum: 3600 },
    cgroupPrefixes: { type: 'array', items: { type: 'string', pattern: '^/' } },
    syscalls: { type: 'boolean' },
    perfRbPages: { type: 'integer', minimum: 8, maximum: 65536 },
    mapKeysMax: { type: 'integer', minimum: 1024, maximum: 4194304 },
    // the pattern rules beyond this shape (one *, no //) are checked by parsePattern at startup
    sensitivePaths: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^/[^\\x00-\\x1f"\\\\]*$', maxLength: 200 } },
    mountTracefs: { type: 'boolean' },
    readWindowMs: { type: 'integer', minimum: 0, maximum: 1000 },
    restartMinMs: { type: 'integer', minimum: 10 },
    restartMaxMs: { type: 'integer', minimum: 10 },
  },
};
