// The shipped rules files name only syscalls that exist on their arch, and every
// rule has one of the documented keys (auditctl -D -k removes them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../../support/env.ts';
import { syscallName } from '../../../../collector/sources/auditd/syscalls.ts';

const KEYS = new Set(['hw-exec', 'hw-net', 'hw-file', 'hw-read', 'hw-danger']);

function names(arch: string): Set<string> {
  const out = new Set<string>();
  for (let nr = 0; nr < 1024; nr++) {
    const n = syscallName(arch, nr);
    if (!n.startsWith('syscall_')) out.add(n);
  }
  return out;
}

function check(file: string, archs: Record<string, string>): void {
  const rules = readFileSync(join(REPO, 'collector/sources/auditd', file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('-a '));
  assert.ok(rules.length > 0);
  for (const r of rules) {
    assert.match(r, /^-a always,exit -F arch=b(32|64) /, r);
    const key = / -k (\S+)$/.exec(r)?.[1];
    assert.ok(key && KEYS.has(key), `${r}: key`);
    const arch = archs[/arch=(b32|b64)/.exec(r)![1]];
    const known = names(arch);
    for (const s of / -S (\S+)/.exec(r)![1].split(',')) assert.ok(known.has(s), `${file}: ${s} not a syscall on ${arch}`);
  }
}

describe('auditd shipped rules', () => {
  it('habitwatch.rules: x86_64 and i386 syscall names, documented keys', () => {
    check('habitwatch.rules', { b64: 'c000003e', b32: '40000003' });
  });
  it('habitwatch-aarch64.rules: aarch64 syscall names, documented keys', () => {
    check('habitwatch-aarch64.rules', { b64: 'c00000b7' });
  });
});
