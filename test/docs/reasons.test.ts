// "Every reason in the docs is the reason counted": each source declares the reasons it
// counts bad input under (SourceDefinition.parseErrors); the docs must list exactly those,
// and every reason literal in a source's code must be declared. (The fuzz tests check
// the reasons actually produced against the same declarations.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sources } from '../../collector/sources/index.ts';
import { REPO } from '../support/env.ts';

/** backticked tokens of a markdown table row's cells after the first */
function tableRows(file: string): Map<string, { line: number; reasons: Set<string> }> {
  const rows = new Map<string, { line: number; reasons: Set<string> }>();
  readFileSync(join(REPO, file), 'utf8')
    .split('\n')
    .forEach((l, i) => {
      const m = /^\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$/.exec(l);
      if (m) rows.set(m[1], { line: i + 1, reasons: new Set([...m[2].matchAll(/`([a-z_]+)`/g)].map((x) => x[1])) });
    });
  return rows;
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

// where a source's reasons are written in code: its folder (and the sharded events replay)
const EXTRA_FILES: Record<string, string[]> = { events: ['agent/replay/shard.ts'] };
// reasons some files build with a prefix (procfs: `procnet_${r.reason}`)
const PREFIX: Record<string, string> = { 'collector/sources/procfs/procnet.ts': 'procnet_' };
const TYPEOF = new Set(['string', 'number', 'object', 'boolean', 'undefined', 'function', 'bigint', 'symbol']);
const TRIGGER = /\b(?:fail|bad|onBad|HttpReject|absentOr|HeaderError)\b|\breason:\s*'/;

function reasonLiterals(file: string, sourceNames: Set<string>): { reason: string; at: string }[] {
  const out: { reason: string; at: string }[] = [];
  readFileSync(join(REPO, file), 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (!TRIGGER.test(l) || /^\s*(?:\/\/|\*)/.test(l)) return;
      for (const m of l.matchAll(/'([a-z]+(?:_[a-z]+)*)'/g)) {
        if (sourceNames.has(m[1]) || TYPEOF.has(m[1])) continue;
        out.push({ reason: (PREFIX[file] ?? '') + m[1], at: `${file}:${i + 1}` });
      }
    });
  return out;
}

describe('docs: bad-input reasons are exactly the reasons counted', () => {
  const names = new Set(sources.map((s) => s.name));

  it('docs/operations.md lists, for every source, exactly the reasons it declares', () => {
    const rows = tableRows('docs/operations.md');
    const problems: string[] = [];
    for (const s of sources) {
      const row = rows.get(s.name);
      if (!row) {
        problems.push(`docs/operations.md: the "Bad input" table has no row for source ${s.name} (reasons: ${sorted(s.parseErrors).join(', ')})`);
        continue;
      }
      const declared = new Set(s.parseErrors);
      const missing = sorted(s.parseErrors).filter((r) => !row.reasons.has(r));
      const extra = sorted(row.reasons).filter((r) => !declared.has(r));
      if (missing.length > 0) problems.push(`docs/operations.md:${row.line}: ${s.name} does not list ${missing.join(', ')} (counted by the code)`);
      if (extra.length > 0) problems.push(`docs/operations.md:${row.line}: ${s.name} lists ${extra.join(', ')}, which the code never counts`);
    }
    assert.deepEqual(problems, []);
  });

  it('docs/events.md lists exactly the events source reasons', () => {
    const rows = tableRows('docs/events.md');
    const events = sources.find((s) => s.name === 'events')!;
    const documented = sorted([...rows.keys()].filter((k) => !['exec', 'file_write', 'file_open', 'listen', 'connect', 'syscall', 'time', 'kind', 'node', 'source', 'cgroup', 'container', 'workload', 'enrichment'].includes(k) && !k.startsWith('process')));
    assert.deepEqual(documented, sorted(events.parseErrors), 'the reason table of docs/events.md ("Bad input")');
  });

  it('every reason literal in a source is one it declares', () => {
    const problems: string[] = [];
    for (const s of sources) {
      const dir = `collector/sources/${s.name}`;
      const files = [...readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`), ...(EXTRA_FILES[s.name] ?? [])];
      const declared = new Set(s.parseErrors);
      for (const f of files) for (const { reason, at } of reasonLiterals(f, names)) if (!declared.has(reason)) problems.push(`${at}: reason "${reason}" is not in ${s.name}'s parseErrors (collector/sources/${s.name}/index.ts) nor in docs/operations.md`);
    }
    assert.deepEqual(problems, []);
  });
});
