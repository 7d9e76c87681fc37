// The `events` source: normalised JSON lines (docs/events.md) from files or stdin,
// so any tool can feed habitwatch. Live mode can follow files as they grow
// (`follow: true`), resuming from the stored offset after a restart.
import { defineSource, withAck, type EventBatches, type SourceContext } from '../types.ts';
import { openInput, reportSkipped, splitLines, type Skipped } from '../../lines.ts';
import { followKey, followLines, mergeStreams, savePosition } from '../../follow.ts';
import type { RuntimeEvent } from '../../event.ts';
import { EventLineDecoder } from './line-decoder.ts';

export interface EventsConfig {
  /** files to read in live mode; `-` is stdin */
  paths: string[];
  /** keep reading as files grow (tail -F) instead of stopping at their end */
  follow: boolean;
}

function decodeLines(chunk: Skipped & { lines: string[] }, where: string, ctx: SourceContext, decoder: EventLineDecoder): RuntimeEvent[] {
  reportSkipped(chunk, 'events', where, ctx.stats);
  const out: RuntimeEvent[] = [];
  for (const line of chunk.lines) {
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) continue;
    const r = decoder.decode(line);
    if (r.ok) out.push(r.event);
    else ctx.stats.bad('events', r.reason, r.detail);
  }
  if (out.length > 0) ctx.stats.received('events', out.length);
  return out;
}

async function* readFiles(files: string[], ctx: SourceContext): EventBatches {
  const decoder = new EventLineDecoder({ node: ctx.node });
  for (const file of files) {
    const input = openInput(file);
    try {
      for await (const chunk of splitLines(input)) {
        if (ctx.signal.aborted) return;
        const out = decodeLines(chunk, file, ctx, decoder);
        if (out.length > 0) yield out;
      }
    } finally {
      if (file !== '-') input.destroy();
    }
  }
}

async function* followFile(file: string, ctx: SourceContext): EventBatches {
  const decoder = new EventLineDecoder({ node: ctx.node });
  const key = followKey(file);
  const lines = followLines(file, {
    signal: ctx.signal,
    pollMs: 100,
    startAt: 'beginning',
    state: ctx.state,
    stateKey: key,
    log: ctx.log,
    onReopen: (why) => ctx.stats.restarted('events', why),
    onOpen: () => ctx.observing?.(true),
  });
  for await (const chunk of lines) {
    const out = decodeLines(chunk, file, ctx, decoder);
    // the position is stored when the pipeline acknowledges the batch (its alerts committed)
    yield withAck(out, () => savePosition(ctx.state, key, chunk.end));
  }
}

const followAll = (files: string[], ctx: SourceContext): EventBatches => mergeStreams(files.map((f) => followFile(f, ctx)));

export default defineSource<EventsConfig>({
  name: 'events',
  description: 'normalised JSON-lines events from files or stdin',
  parseErrors: ['invalid_json', 'not_an_object', 'unknown_kind', 'missing_field', 'bad_value', 'line_too_long', 'bad_encoding'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { paths: { type: 'array', items: { type: 'string' } }, follow: { type: 'boolean' } },
  },
  defaults: { paths: [], follow: false },
  async available(config) {
    return config.paths.length > 0 ? true : 'no paths configured';
  },
  live: (config, ctx) => (config.follow ? followAll(config.paths.filter((p) => p !== '-'), ctx) : readFiles(config.paths, ctx)),
  replay: (files, ctx) => readFiles(files, ctx),
});
