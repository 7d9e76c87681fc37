// A scratch copy of the compiled CLI: `npm run build` output in a temporary tree with
// bin/habitwatch.js, package.json and the repository's node_modules — what the tests of
// the compiled CLI and the start-up bench run, leaving the worktree's dist/ alone.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './env.ts';
import { tempDir } from './agent-proc.ts';

export interface CompiledTree {
  dir: string;
  /** bin/habitwatch.js of the tree */
  bin: string;
  cleanup(): void;
}

export async function buildCompiledTree(prefix = 'hw-dist-'): Promise<CompiledTree> {
  const t = tempDir(prefix);
  try {
    mkdirSync(join(t.dir, 'bin'));
    const bin = join(t.dir, 'bin', 'habitwatch.js');
    copyFileSync(join(REPO, 'bin', 'habitwatch.js'), bin);
    copyFileSync(join(REPO, 'package.json'), join(t.dir, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(t.dir, 'node_modules'));
    await promisify(execFile)(process.execPath, [join(REPO, 'bin', 'build.js'), '--out', join(t.dir, 'dist')], { cwd: REPO });
    return { dir: t.dir, bin, cleanup: t.cleanup };
  } catch (e) {
    t.cleanup();
    throw e;
  }
}
