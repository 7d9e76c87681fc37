// The exec of the agent's own CLI script is recognised by the file executed, through a
// link to it too, and never by its name alone.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownCliExec } from '../../../collector/enrich/own-cli.ts';
import { tempDir } from '../../support/agent-proc.ts';

describe('own CLI exec (collector/enrich/own-cli.ts)', () => {
  let t: ReturnType<typeof tempDir>;
  let script: string;
  beforeEach(() => {
    t = tempDir('hw-owncli-');
    mkdirSync(join(t.dir, 'pkg/bin'), { recursive: true });
    mkdirSync(join(t.dir, 'app/node_modules/.bin'), { recursive: true });
    mkdirSync(join(t.dir, 'elsewhere'));
    script = join(t.dir, 'pkg/bin/habitwatch.js');
    writeFileSync(script, '#!/usr/bin/env node\n');
    symlinkSync('../../../pkg/bin/habitwatch.js', join(t.dir, 'app/node_modules/.bin/habitwatch'));
    copyFileSync(script, join(t.dir, 'elsewhere/habitwatch')); // same name and content, another file
  });
  afterEach(() => t.cleanup());

  const proc = (pid: number, exe: string, ppid?: number) => ({ pid, exe, args: [], ...(ppid !== undefined ? { ppid } : {}) });
  it('the script, and a link to it, executed by a live process', () => {
    const own = ownCliExec([script]);
    assert.ok(own(proc(process.pid, script)));
    assert.ok(own(proc(process.pid, join(t.dir, 'app/node_modules/.bin/habitwatch'))));
  });
  it('not a namesake, another name, a relative path, or nothing configured', () => {
    const own = ownCliExec([script]);
    assert.ok(!own(proc(process.pid, join(t.dir, 'elsewhere/habitwatch'))));
    assert.ok(!own(proc(process.pid, '/usr/bin/node')));
    assert.ok(!own(proc(process.pid, 'pkg/bin/habitwatch.js')));
    assert.ok(!ownCliExec([])(proc(process.pid, script)));
    assert.ok(!ownCliExec([join(t.dir, 'missing.js')])(proc(process.pid, script)));
  });
  it('a process already gone: through its parent\'s root, which it inherited; nobody left, not recognised', () => {
    const gone = 4194303 + 1000; // above any pid_max: never a live pid
    assert.ok(ownCliExec([script])(proc(gone, script, process.pid)));
    assert.ok(!ownCliExec([script])(proc(gone, script, gone + 1)));
  });
  it('another root (another container): the same path there is another file', () => {
    const fakeProc = join(t.dir, 'proc');
    mkdirSync(join(fakeProc, '77'), { recursive: true });
    mkdirSync(join(t.dir, 'other-root', t.dir.slice(1), 'pkg/bin'), { recursive: true });
    copyFileSync(script, join(t.dir, 'other-root', script));
    symlinkSync(join(t.dir, 'other-root'), join(fakeProc, '77', 'root'));
    assert.ok(!ownCliExec([script], fakeProc)(proc(77, script)));
  });
});
