// The fenced code blocks of README.md and docs/*.md: the examples the docs-examples test
// runs, and seeds for the config fuzzer.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './env.ts';

export interface DocBlock {
  /** README.md or docs/<name>.md */
  file: string;
  /** line of the opening fence (1-based) */
  line: number;
  /** the fence's info string: yaml, sh, json, or '' */
  lang: string;
  text: string;
}

export const DOC_FILES: readonly string[] = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

export function docBlocks(files: readonly string[] = DOC_FILES): DocBlock[] {
  const out: DocBlock[] = [];
  for (const file of files) {
    const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\S*)\s*$/.exec(lines[i]);
      if (!open) continue;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      out.push({ file, line: start + 1, lang: open[1], text: body.join('\n') + '\n' });
    }
  }
  return out;
}

/** the YAML blocks that are agent configuration (a tokens file is not: api.md says which) */
export function configBlocks(): DocBlock[] {
  return docBlocks().filter((b) => b.lang === 'yaml' && !/^tokens:/m.test(b.text));
}
