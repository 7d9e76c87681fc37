// The data directory: created private (0700), checked usable before anything opens a
// file in it, and every file the agent keeps there private (0600). An unusable dataDir
// (a file, under /proc, read-only, not writable by this user) is one clear error line,
// never a stack trace and never a hang (Node's recursive mkdir loops for ever under /proc,
// so directories are created one level at a time).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class DataDirError extends Error {
  override name = 'DataDirError';
  /** the CLI's exit status (agent/cli/errors.ts EXIT.usage: a bad configuration value) */
  readonly exitCode = 2;
}

// statfs(2) f_type of filesystems that cannot hold a database
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x63677270: 'cgroup2',
  0x27e0eb: 'cgroup',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x1cd1: 'devpts',
  0x73636673: 'securityfs',
  0xcafe4a11: 'bpf',
};

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOTDIR: 'a part of the path is a file',
    ENOENT: 'no such directory, and it cannot be created here',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
  };
  return err.code ? `${reasons[err.code] ?? err.code} (${err.code})` : String(err.message ?? e);
}

/** mkdir -p, one level at a time, each new directory 0700; returns whether `dir` was created */
export function mkdirPrivate(dir: string): boolean {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (let depth = 0; depth < 256 && !existsSync(p); depth++) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i], { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return missing.length > 0;
}

/**
 * Create `file` empty with mode 0600 if it does not exist (SQLite then gives the WAL and
 * shared-memory files the same mode), and make it and its companions private if they
 * exist with looser permissions.
 */
export function createPrivate(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  makePrivate(file);
}

/** Make `file` (and its SQLite companions) private when it exists with looser permissions. */
export function makePrivate(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * Create or check the data directory. Throws DataDirError with one line naming the
 * directory and the reason. The database file itself is created (0600) by openDatabase,
 * after the store has looked at what the directory held (store/identity.ts).
 */
export function prepareDataDir(dataDir: string, dbName = 'habitwatch.db'): { dir: string; db: string; warnings: string[] } {
  const dir = resolve(dataDir);
  const fail = (what: string): never => {
    throw new DataDirError(`dataDir ${dataDir}: ${what}`);
  };
  const warnings: string[] = [];
  let created = false;
  try {
    created = mkdirPrivate(dir);
  } catch (e) {
    fail(`cannot create it: ${why(e)}`);
  }
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    return fail(`cannot use it: ${why(e)}`);
  }
  if (!st.isDirectory()) fail('is not a directory');
  try {
    const fs = PSEUDO_FS[Number(statfsSync(dir).type)];
    if (fs !== undefined) fail(`is on ${fs}, which cannot hold a database`);
  } catch (e) {
    if (e instanceof DataDirError) throw e;
  }
  // can this process create files here? (root is refused only by read-only or special file systems)
  const probe = resolve(dir, `.habitwatch-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (e) {
    fail(`cannot write to it: ${why(e)}`);
  }
  const db = resolve(dir, dbName);
  if ((st.mode & 0o077) !== 0) {
    // only a directory that is ours: never chmod a shared one someone pointed us at (/var/lib)
    if (created || existsSync(db)) {
      try {
        chmodSync(dir, 0o700);
      } catch (e) {
        fail(`cannot make it private (0700): ${why(e)}`);
      }
    } else warnings.push(`dataDir ${dataDir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}); its files are created 0600`);
  }
  try {
    makePrivate(db);
  } catch (e) {
    fail(`cannot make the database ${db} private (0600): ${why(e)}`);
  }
  return { dir, db, warnings };
}
