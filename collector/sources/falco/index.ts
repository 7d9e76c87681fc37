// The `falco` source: Falco JSON alerts, from followed file_output files and from an
// HTTP endpoint that Falco's http_output posts to; replay decodes recorded files.
// Alerts are rule hits mapped to RuntimeEvents by evt.type; the rule name and
// priority are not part of RuntimeEvent (see decode.ts falcoOrigin).
import { defineSource, type EventBatches, type SourceContext } from '../types.ts';
import type { RuntimeEvent } from '../../event.ts';
import { BatchChannel } from '../tetragon/channel.ts';
import { followJsonFiles, replayJsonLines, type JsonDecoder } from '../tetragon/jsonl.ts';
import { mergeStreams } from '../../follow.ts';
import { configSchema, defaults, type FalcoConfig } from './config.ts';
import { decodeFalco, SOURCE } from './decode.ts';
import { parseListen, startIngest } from './http.ts';

function live(config: FalcoConfig, ctx: SourceContext): EventBatches {
  const decode: JsonDecoder = (v) => decodeFalco(v, { node: ctx.node, nodeFromEvent: config.nodeFromEvent });
  const streams: EventBatches[] = [];
  if (config.http.enabled) {
    // POSTed alerts: a bounded channel (a full one answers 503, Falco retries)
    const ch = new BatchChannel<RuntimeEvent>(50_000);
    startIngest(config.http, decode, ctx, ch)
      .then((srv) => {
        if (ctx.signal.aborted) srv.close();
        else ctx.signal.addEventListener('abort', () => srv.close(), { once: true });
      })
      .catch((e: unknown) => {
        ctx.log.error('falco http ingest failed', { err: String(e) });
        ch.close();
      });
    ctx.signal.addEventListener('abort', () => ch.close(), { once: true });
    streams.push(ch);
  }
  // file_output files: the one follower, positions stored when their batch is committed
  if (config.paths.length > 0) streams.push(followJsonFiles(config, SOURCE, decode, ctx));
  return mergeStreams(streams);
}

export default defineSource<FalcoConfig>({
  name: SOURCE,
  description: 'Falco JSON alerts (http_output ingest, file follow, replay)',
  parseErrors: ['invalid_json', 'not_an_object', 'missing_field', 'bad_value', 'line_too_long', 'bad_encoding', 'empty_body', 'body_too_large', 'bad_content_type', 'bad_method', 'unauthorized'],
  configSchema,
  defaults,
  async available(config) {
    if (!config.http.enabled && config.paths.length === 0) return 'neither http ingest nor alert files configured';
    if (config.http.enabled) {
      try {
        parseListen(config.http.listen);
      } catch (e) {
        return (e as Error).message;
      }
    }
    return true;
  },
  live,
  // a recording comes from elsewhere: the alert's own hostname is the best node name
  replay: (files, ctx) =>
    replayJsonLines(files, SOURCE, (v) => decodeFalco(v, { node: ctx.node, nodeFromEvent: true }), ctx),
});
