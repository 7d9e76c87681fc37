// The `tetragon` source: Cilium Tetragon's JSON export (process_exec, process_kprobe,
// process_lsm, process_tracepoint…) from files. Live mode follows the export file as
// it grows (surviving Tetragon's size-based rotation); replay decodes recorded files.
import { access } from 'node:fs/promises';
import { defineSource } from '../types.ts';
import { configSchema, defaults, type TetragonConfig } from './config.ts';
import { decodeTetragon, SOURCE } from './decode.ts';
import { followJsonFiles, replayJsonLines } from './jsonl.ts';

export default defineSource<TetragonConfig>({
  name: SOURCE,
  description: 'Cilium Tetragon JSON export (file follow + replay)',
  parseErrors: ['invalid_json', 'not_an_object', 'unknown_event', 'missing_field', 'bad_value', 'line_too_long', 'bad_encoding'],
  configSchema,
  defaults,
  async available(config) {
    if (config.paths.length === 0) return 'no export paths configured';
    for (const p of config.paths) {
      try {
        await access(p);
        return true;
      } catch {
        /* try the next one */
      }
    }
    return `none of ${config.paths.join(', ')} exists (is tetragon running with --export-filename?)`;
  },
  live: (config, ctx) => followJsonFiles(config, SOURCE, (v) => decodeTetragon(v, ctx.node), ctx),
  replay: (files, ctx) => replayJsonLines(files, SOURCE, (v) => decodeTetragon(v, ctx.node), ctx),
});
