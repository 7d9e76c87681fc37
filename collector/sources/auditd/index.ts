// The `auditd` source: Linux audit log (RAW or ENRICHED) → RuntimeEvents.
// Live: follows the log auditd writes (rotation, truncation, resume by inode).
// Replay: decodes recorded audit.log files in order; an event may straddle files.
// Rules to load on the node: habitwatch.rules (x86_64) / habitwatch-aarch64.rules.
import { access, constants } from 'node:fs/promises';
import { defineSource, type EventBatches, type SourceContext } from '../types.ts';
import { openInput, splitLines } from '../../lines.ts';
import { configSchema, defaults, type AuditdConfig } from './config.ts';
import { AuditDecoder } from './decoder.ts';
import { SOURCE } from './map.ts';
import { procReader } from './procfs.ts';
import { tailLog } from './tail.ts';

function grouperOpts(c: AuditdConfig): { timeoutMs: number; serialWindow: number; maxInFlight: number } {
  return { timeoutMs: c.eventTimeoutMs, serialWindow: c.serialWindow, maxInFlight: c.maxInFlight };
}

export async function* replayFiles(files: string[], ctx: SourceContext, config: AuditdConfig = defaults): EventBatches {
  const dec = new AuditDecoder({ node: ctx.node, stats: ctx.stats, grouper: grouperOpts(config) });
  for (const file of files) {
    const input = openInput(file);
    try {
      for await (const chunk of splitLines(input)) {
        if (ctx.signal.aborted) return;
        for (let i = 0; i < chunk.tooLong; i++) ctx.stats.bad(SOURCE, 'line_too_long', `${file}: line over 1 MiB`);
        dec.pushLines(chunk.lines);
        const out = dec.take();
        if (out.length > 0) yield out;
      }
    } finally {
      if (file !== '-') input.destroy();
    }
  }
  dec.flushAll();
  const out = dec.take();
  if (out.length > 0) yield out;
}

export async function* followLog(config: AuditdConfig, ctx: SourceContext): EventBatches {
  const dec = new AuditDecoder({
    node: ctx.node,
    stats: ctx.stats,
    grouper: grouperOpts(config),
    forceNode: true,
    ...(config.procLookup ? { proc: procReader() } : {}),
  });
  const lines = tailLog({
    path: config.path,
    pollMs: config.pollMs,
    startAt: config.startAt,
    signal: ctx.signal,
    state: ctx.state,
    log: ctx.log,
    onBad: (reason, detail) => ctx.stats.bad(SOURCE, reason, detail),
  });
  for await (const batch of lines) {
    const now = ctx.now();
    dec.pushLines(batch, now);
    dec.flushStale(now);
    const out = dec.take();
    if (out.length > 0) yield out;
  }
  dec.flushAll();
  const out = dec.take();
  if (out.length > 0) yield out;
}

export default defineSource<AuditdConfig>({
  name: 'auditd',
  description: 'Linux audit log (auditd RAW/ENRICHED): exec, connect, listen, file writes, dangerous syscalls',
  configSchema,
  defaults,
  async available(config) {
    try {
      await access(config.path, constants.R_OK);
      return true;
    } catch (e) {
      return `cannot read ${config.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (is auditd running with log_file there?)`;
    }
  },
  live: (config, ctx) => followLog(config, ctx),
  replay: (files, ctx, config) => replayFiles(files, ctx, config ?? defaults),
});
