// JSON-lines plumbing shared by the sources whose input is one JSON object per line
// (Tetragon export, Falco file_output): decode a chunk, replay files, follow files.
import type { RuntimeEvent } from '../../event.ts';
import { openInput, splitLines } from '../../lines.ts';
import type { EventBatches, SourceContext } from '../types.ts';
import { BatchChannel } from './channel.ts';
import { followLines } from '../../follow.ts';

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
      ctx.stats.bad(source, 'invalid_json', line.slice(0, 120));
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
        for (let i = 0; i < chunk.tooLong; i++) ctx.stats.bad(source, 'line_too_long', `${file}: line over 1 MiB`);
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

/** Follow each path, decoding as lines arrive; pushes into `ch` until ctx.signal aborts. */
export async function followJsonLines(
  cfg: FollowConfig,
  source: string,
  decode: JsonDecoder,
  ctx: SourceContext,
  ch: BatchChannel<RuntimeEvent>,
): Promise<void> {
  await Promise.all(
    cfg.paths.map(async (path) => {
      const lines = followLines(path, {
        signal: ctx.signal,
        pollMs: cfg.pollMs,
        fromStart: cfg.fromStart,
        state: ctx.state,
        onReopen: (why) => ctx.stats.restarted(source, why),
      });
      for await (const chunk of lines) {
        for (let i = 0; i < chunk.tooLong; i++) ctx.stats.bad(source, 'line_too_long', `${path}: line over 1 MiB`);
        const out = decodeLines(chunk.lines, source, decode, ctx);
        if (out.length > 0) await ch.push(out);
      }
    }),
  );
}

/** Live mode for file-only JSON sources: follow all paths into one batch stream. */
export function followAll(cfg: FollowConfig, source: string, decode: JsonDecoder, ctx: SourceContext): EventBatches {
  const ch = new BatchChannel<RuntimeEvent>(50_000);
  followJsonLines(cfg, source, decode, ctx, ch)
    .catch((e: unknown) => ctx.log.error('follow failed', { source, err: String(e) }))
    .finally(() => ch.close());
  ctx.signal.addEventListener('abort', () => ch.close(), { once: true });
  return ch;
}
