// JSON-lines plumbing shared by the sources whose input is one JSON object per line
// (Tetragon export, Falco file_output): decode a chunk, replay files, follow files
// (through the one follower, collector/follow.ts, with acknowledged positions).
import type { RuntimeEvent } from '../../event.ts';
import { openInput, reportSkipped, splitLines } from '../../lines.ts';
import { withAck, type EventBatches, type SourceContext } from '../types.ts';
import { followKey, followLines, mergeStreams, savePosition } from '../../follow.ts';

export type JsonDecodeResult =
  | { ok: true; events: RuntimeEvent[]; dropped?: number }
  | { ok: false; reason: string; detail: string };

export type JsonDecoder = (v: unknown) => JsonDecodeResult;

/** Decode the lines of one chunk; bad lines are counted by reason, never thrown. */
export function decodeLines(lines: string[], source: string, decode: JsonDecoder, ctx: SourceContext): RuntimeEvent[] {
  const out: RuntimeEvent[] = [];
  let records = 0;
  for (const line of lines) {
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (line.trim() === '') continue;
      ctx.stats.bad(source, 'invalid_json', line);
      continue;
    }
    const r = decode(parsed);
    if (!r.ok) {
      ctx.stats.bad(source, r.reason, r.detail);
      continue;
    }
    records++;
    if (r.dropped) ctx.stats.dropped(source, 'upstream_rate_limit', r.dropped);
    for (const e of r.events) out.push(e);
  }
  if (records > 0) ctx.stats.received(source, records);
  return out;
}

export async function* replayJsonLines(
  files: string[],
  source: string,
  decode: JsonDecoder,
  ctx: SourceContext,
): EventBatches {
  for (const file of files) {
    const input = openInput(file);
    try {
      for await (const chunk of splitLines(input)) {
        if (ctx.signal.aborted) return;
        reportSkipped(chunk, source, file, ctx.stats);
        const out = decodeLines(chunk.lines, source, decode, ctx);
        if (out.length > 0) yield out;
      }
    } finally {
      if (file !== '-') input.destroy();
    }
  }
}

export interface FollowConfig {
  paths: string[];
  pollMs: number;
  fromStart: boolean;
}

/** Follow one file, decoding as lines arrive; each batch stores its position when acknowledged. */
async function* followJsonFile(path: string, cfg: FollowConfig, source: string, decode: JsonDecoder, ctx: SourceContext): EventBatches {
  const key = followKey(path);
  const lines = followLines(path, {
    signal: ctx.signal,
    pollMs: cfg.pollMs,
    startAt: cfg.fromStart ? 'beginning' : 'end',
    state: ctx.state,
    stateKey: key,
    log: ctx.log,
    onReopen: (why) => ctx.stats.restarted(source, why),
    onOpen: () => ctx.observing?.(true),
  });
  for await (const chunk of lines) {
    reportSkipped(chunk, source, path, ctx.stats);
    const out = decodeLines(chunk.lines, source, decode, ctx);
    // stored once the pipeline committed what this batch raised: at least once, never skipped
    yield withAck(out, () => savePosition(ctx.state, key, chunk.end));
  }
}

/** Live mode for file-only JSON sources: follow all paths (collector/follow.ts) into one batch stream. */
export function followJsonFiles(cfg: FollowConfig, source: string, decode: JsonDecoder, ctx: SourceContext): EventBatches {
  return mergeStreams(cfg.paths.map((p) => followJsonFile(p, cfg, source, decode, ctx)));
}
