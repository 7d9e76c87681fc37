// The `auditd` source: Linux audit log (RAW or ENRICHED) → RuntimeEvents.
// Live: follows the log auditd writes (rotation, truncation, resume by inode) through
// the one follower, storing its position only once a batch is committed.
// Replay: decodes recorded audit.log files in order; an event may straddle files.
// Rules to load on the node: habitwatch.rules (x86_64) / habitwatch-aarch64.rules.
import { access, constants } from 'node:fs/promises';
import { defineSource, withAck, type EventBatches, type SourceContext } from '../types.ts';
import { openInput, reportSkipped, splitLines } from '../../lines.ts';
import { configSchema, defaults, type AuditdConfig } from './config.ts';
import { AuditDecoder } from './decoder.ts';
import { SOURCE } from './map.ts';
import { procReader } from './procfs.ts';
import { followLines, savePosition, type Position } from '../../follow.ts';

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
        reportSkipped(chunk, SOURCE, file, ctx.stats);
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

/** the state key of the audit log position (kept from the earlier tailer: a restart resumes) */
export const POSITION_KEY = 'position';

/**
 * Live: the one follower (collector/follow.ts) on the log auditd writes. An event's
 * records can span reads, so a batch's acknowledgement stores the start of the oldest
 * chunk whose records are still being assembled (or the end of this chunk when none
 * is): a restart re-reads and rebuilds those events instead of losing them.
 */
export async function* followLog(config: AuditdConfig, ctx: SourceContext): EventBatches {
  const dec = new AuditDecoder({
    node: ctx.node,
    stats: ctx.stats,
    grouper: grouperOpts(config),
    forceNode: true,
    ...(config.procLookup ? { proc: procReader() } : {}),
  });
  const chunks = followLines(config.path, {
    signal: ctx.signal,
    pollMs: config.pollMs,
    startAt: config.startAt,
    state: ctx.state,
    stateKey: POSITION_KEY,
    idleChunks: true, // idle ticks close timed-out events…
    wantsTicks: () => dec.oldestTag() !== undefined, // …so they come every pollMs while one is open
    log: ctx.log,
    onOpen: () => ctx.observing?.(true),
    onReopen: (why, detail) => (why === 'truncated' ? ctx.stats.bad(SOURCE, 'truncated', detail) : ctx.stats.restarted(SOURCE, why)),
  });
  /** chunk tag → where the chunk starts, for chunks that may still hold open events */
  const starts = new Map<number, Position>();
  let tag = 0;
  for await (const chunk of chunks) {
    reportSkipped(chunk, SOURCE, config.path, ctx.stats);
    const now = ctx.now();
    tag++;
    starts.set(tag, chunk.start);
    dec.pushLines(chunk.lines, now, tag);
    dec.flushStale(now);
    const out = dec.take();
    const oldest = dec.oldestTag() ?? tag + 1;
    for (const t of starts.keys()) {
      if (t >= oldest) break;
      starts.delete(t);
    }
    const resume = starts.get(oldest) ?? chunk.end;
    if (out.length > 0 || chunk.lines.length > 0) yield withAck(out, () => savePosition(ctx.state, POSITION_KEY, resume));
  }
  dec.flushAll();
  const out = dec.take();
  if (out.length > 0) yield out;
}

export default defineSource<AuditdConfig>({
  name: 'auditd',
  description: 'Linux audit log (auditd RAW/ENRICHED): exec, connect, listen, file writes, dangerous syscalls',
  parseErrors: ['no_type', 'no_msg', 'bad_stamp', 'bad_syscall', 'orphan_record', 'truncated', 'line_too_long', 'bad_encoding'],
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
  autoRank: 2,
  observesHost: true,
  replay: (files, ctx, config) => replayFiles(files, ctx, config ?? defaults),
});
