// Shared helpers for tests that need real components.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Context } from 'mocha';
import { sleep } from '../../collector/sleep.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Spawn the CLI as `spawn(process.execPath, [CLI, ...args])`: the TypeScript sources
 * through tsx (test/support/cli.mjs), never a possibly stale dist/.
 */
export const CLI = join(REPO, 'test', 'support', 'cli.mjs');
export const SHARED_FIXTURES = join(REPO, '..', 'shared', 'fixtures');
export const IN_CI = process.env.CI === 'true';

/**
 * Call when a real component is missing. Under CI=true it throws (a skipped test is a
 * failed promise); elsewhere it marks the test pending with the reason.
 */
export function requireComponent(ctx: Context, ok: boolean, what: string): void {
  if (ok) return;
  if (IN_CI) throw new Error(`required component unavailable under CI: ${what}`);
  console.log(`    (not run: ${what})`);
  ctx.skip();
}

/** conformance tests read ../shared/fixtures in place; elsewhere they report not run */
export function requireSharedFixtures(ctx: Context): void {
  requireComponent(ctx, existsSync(SHARED_FIXTURES), `shared fixtures folder ${SHARED_FIXTURES} not present`);
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Poll until fn returns a truthy value or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 25);
  }
}

/** bpftrace runs here (`bpftrace --version` succeeds) */
export function bpftraceInstalled(): boolean {
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

/** kubectl runs here (`kubectl version --client` succeeds) */
export function kubectlInstalled(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}
