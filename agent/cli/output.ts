// How commands print: `--output table|json|yaml` (`--json` is `-o json`), colour only
// on a terminal (never with NO_COLOR or --color never), tables clipped to a width.
import { createRequire } from 'node:module';
import { UsageError } from './errors.ts';

// the YAML library is loaded on the first `-o yaml`: other outputs (and every --help) skip it
const require = createRequire(import.meta.url);
const toYaml = (v: unknown): string => (require('yaml') as typeof import('yaml')).stringify(v);

export const FORMATS = ['table', 'json', 'yaml', 'name'] as const;
export type Format = (typeof FORMATS)[number];

export const outputOptionSpec = {
  output: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  color: { type: 'string' },
} as const;

const CODES: Record<string, string> = { red: '31', yellow: '33', green: '32', blue: '34', magenta: '35', cyan: '36', grey: '90', bold: '1' };
const SEVERITY_COLOUR: Record<string, string> = { critical: 'magenta', high: 'red', medium: 'yellow', low: 'cyan', info: 'grey' };
const STATE_COLOUR: Record<string, string> = { stable: 'green', locked: 'blue', learning: 'yellow', relearning: 'yellow', unstable: 'red', open: 'red', acknowledged: 'yellow', resolved: 'green' };

export class Output {
  readonly format: Format;
  readonly colour: boolean;

  constructor(
    readonly out: NodeJS.WritableStream,
    o: { output?: string; json?: boolean; color?: string },
    allowed: readonly Format[] = ['table', 'json', 'yaml'],
  ) {
    const f = o.json ? 'json' : (o.output ?? 'table');
    if (!(allowed as readonly string[]).includes(f)) throw new UsageError(`--output must be one of ${allowed.join(', ')} (got ${f})`);
    this.format = f as Format;
    const c = o.color ?? 'auto';
    if (!['auto', 'always', 'never'].includes(c)) throw new UsageError(`--color must be auto, always or never (got ${c})`);
    const tty = (out as NodeJS.WriteStream).isTTY === true;
    this.colour = this.format === 'table' && (c === 'always' || (c === 'auto' && tty && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'));
  }

  paint(s: string, colour: string | undefined): string {
    return this.colour && colour ? `\x1b[${CODES[colour]}m${s}\x1b[0m` : s;
  }

  severity(s: string): string {
    return this.paint(s, SEVERITY_COLOUR[s]);
  }

  state(s: string): string {
    return this.paint(s, STATE_COLOUR[s]);
  }

  write(text: string): void {
    this.out.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** one value: JSON (pretty), YAML, or the human rendering */
  emit(value: unknown, human: () => string, names?: () => string[]): void {
    if (this.format === 'json') this.write(JSON.stringify(value, null, 2));
    else if (this.format === 'yaml') this.write(toYaml(value));
    else if (this.format === 'name') this.write((names?.() ?? []).join('\n'));
    else this.write(human());
  }

  /** a list for streaming and jq: JSON lines, a YAML sequence, or the human rendering */
  emitList(items: unknown[], human: () => string, names?: () => string[]): void {
    if (this.format === 'json') {
      if (items.length > 0) this.out.write(items.map((i) => JSON.stringify(i)).join('\n') + '\n');
    } else if (this.format === 'yaml') this.write(toYaml(items));
    else if (this.format === 'name') {
      if (items.length > 0) this.write((names?.() ?? []).join('\n'));
    } else this.write(human());
  }

  /** a table whose cells may carry colour: widths count the visible characters */
  table(headers: string[], rows: string[][], maxWidth = 70): string {
    // eslint-disable-next-line no-control-regex
    const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;
    const clip = (s: string): string => (visible(s) > maxWidth && !s.includes('\x1b') ? s.slice(0, maxWidth - 1) + '…' : s);
    const cells = rows.map((r) => r.map(clip));
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visible(r[i] ?? ''))));
    const line = (r: string[]): string =>
      r
        .map((c, i) => (c ?? '') + ' '.repeat(Math.max(0, widths[i] - visible(c ?? ''))))
        .join('  ')
        .trimEnd();
    return [line(headers.map((h) => this.paint(h, 'bold'))), ...cells.map(line)].join('\n');
  }
}
