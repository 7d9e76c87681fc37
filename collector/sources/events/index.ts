// The `events` source: normalised JSON lines (docs/events.md) from files or stdin,
// so any tool can feed habitwatch.
import { defineSource, type EventBatches, type SourceContext } from '../types.ts';
import { openInput, splitLines } from '../../lines.ts';
import type { RuntimeEvent } from '../../event.ts';
import { decodeEvent } from './decode.ts';

export interface EventsConfig {
  /** files to read in live mode; `-` is stdin */
  paths: string[];
}

async function* readFiles(files: string[], ctx: SourceContext): EventBatches {
  for (const file of files) {
    const input = openInput(file);
    try {
      for await (const chunk of splitLines(input)) {
        if (ctx.signal.aborted) return;
        for (let i = 0; i < chunk.tooLong; i++) ctx.stats.bad('events', 'line_too_long', `${file}: line over 1 MiB`);
        const out: RuntimeEvent[] = [];
        for (const line of chunk.lines) {
          if (line.length === 0 || line.trim() === '') continue;
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            ctx.stats.bad('events', 'invalid_json', line.slice(0, 120));
            continue;
          }
          const r = decodeEvent(parsed, { node: ctx.node });
          if (r.ok) out.push(r.event);
          else ctx.stats.bad('events', r.reason, r.detail);
        }
        if (out.length > 0) {
          ctx.stats.received('events', out.length);
          yield out;
        }
      }
    } finally {
      if (file !== '-') input.destroy();
    }
  }
}

export default defineSource<EventsConfig>({
  name: 'events',
  description: 'normalised JSON-lines events from files or stdin',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { paths: { type: 'array', items: { type: 'string' } } },
  },
  defaults: { paths: [] },
  async available(config) {
    return config.paths.length > 0 ? true : 'no paths configured';
  },
  live: (config, ctx) => readFiles(config.paths, ctx),
  replay: (files, ctx) => readFiles(files, ctx),
});
