// Opens the SQLite database (WAL), applies migrations, and reports corruption as
// a typed error instead of crashing later on a half-read page.
//
// `Db` wraps the better-sqlite3 connection so that it can be replaced under the
// stores' feet: when the database file disappears or is replaced while the agent runs
// (store/guard.ts), a copy of the open database is put back in place and every store
// carries on with a connection to it — statements are prepared lazily, per connection.
// While that happens the store is unavailable: statements throw StoreUnavailableError,
// which callers retry like any storage failure.
import Database from 'better-sqlite3';
import { createPrivate, mkdirPrivate } from './datadir.ts';
import { dirname } from 'node:path';
import { migrations } from './migrations.ts';
import { StoreUnavailableError } from './health.ts';

export class StoreError extends Error {
  override name = 'StoreError';
}

type Connection = Database.Database;

/** a prepared statement, prepared again on the current connection when it changes */
export interface Stmt {
  run(...params: unknown[]): Database.RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export class Db {
  private gen = 0;
  private unavailable: string | undefined;

  constructor(
    private conn: Connection,
    /** the database file (or ':memory:') */
    readonly file: string,
  ) {}

  /** the current connection (for what the wrapper does not cover, e.g. backup) */
  get connection(): Connection {
    return this.usable();
  }

  get open(): boolean {
    return this.conn.open;
  }

  /** false while suspended (the file being restored): every statement would throw */
  get usableNow(): boolean {
    return this.unavailable === undefined && this.conn.open;
  }

  get inTransaction(): boolean {
    return this.conn.open && this.conn.inTransaction;
  }

  private usable(): Connection {
    if (this.unavailable !== undefined) throw new StoreUnavailableError(this.unavailable);
    return this.conn;
  }

  prepare(sql: string): Stmt {
    let stmt: Database.Statement | undefined;
    let gen = -1;
    const get = (): Database.Statement => {
      const c = this.usable();
      if (gen !== this.gen || stmt === undefined) {
        stmt = c.prepare(sql);
        gen = this.gen;
      }
      return stmt;
    };
    // prepared now, as better-sqlite3 does: a syntax error shows where the statement is made
    if (this.unavailable === undefined) get();
    return {
      run: (...p) => get().run(...p),
      get: (...p) => get().get(...p),
      all: (...p) => get().all(...p),
      iterate: (...p) => get().iterate(...p),
    };
  }

  /** like better-sqlite3's: fn runs in BEGIN … COMMIT, rolled back if it throws */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    let tx: ((...args: A) => R) | undefined;
    let gen = -1;
    return (...args: A): R => {
      const c = this.usable();
      if (gen !== this.gen || tx === undefined) {
        tx = c.transaction(fn) as unknown as (...args: A) => R;
        gen = this.gen;
      }
      return tx(...args);
    };
  }

  exec(sql: string): void {
    this.usable().exec(sql);
  }

  pragma(source: string, options?: Database.PragmaOptions): unknown {
    return this.usable().pragma(source, options);
  }

  close(): void {
    if (this.conn.open) this.conn.close();
  }

  /** make every statement fail (retryably) until available() — e.g. while the file is restored */
  suspend(reason: string): void {
    this.unavailable = reason;
  }

  available(): void {
    this.unavailable = undefined;
  }

  /** a consistent copy of the database, written to dest (works while suspended: restoring uses it) */
  async backupTo(dest: string): Promise<void> {
    await this.conn.backup(dest);
  }

  /** close the current connection (suspend first: statements fail until swap) */
  closeConnection(): void {
    if (this.conn.open) this.conn.close();
  }

  /** continue on another connection (the old one is closed); statements re-prepare on first use */
  swap(conn: Connection): void {
    const old = this.conn;
    this.conn = conn;
    this.gen++;
    if (old.open) old.close();
  }
}

/** the tables checked in full (quick_check) whenever the database is opened */
const CHECKED_AT_OPEN = ['meta', 'source_state'];

/** open (and set up, migrate, check) a connection to `file` */
export function connect(file: string, opts: { readonly?: boolean } = {}): Connection {
  if (file !== ':memory:' && !opts.readonly) {
    // the directory 0700 (one level at a time: recursive mkdir hangs under /proc), the
    // file 0600 before SQLite creates it: its WAL and shared memory take the file's mode
    mkdirPrivate(dirname(file));
    createPrivate(file);
  }
  let db: Connection;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`);
  }
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) return db;
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed transaction survives a process crash (SIGKILL);
  // only an OS crash/power loss can lose the last transactions. That is our budget.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // statement journals and temporary b-trees in memory, not in temporary files
  db.pragma('temp_store = MEMORY');
  // Checked at open: the header and schema (any query reads them), and in full the small
  // tables a start relies on (the database identity, the sources' offsets). Not the whole
  // file: quick_check reads every page (~2-5 s for 80,000 alerts, far more for a big
  // database, the agent unready meanwhile). A damaged page elsewhere is found when it is
  // read (SQLITE_CORRUPT: the store reports failing, /readyz 503, agent-storage-failing).
  migrate(db);
  for (const table of CHECKED_AT_OPEN) {
    const check = db.pragma(`quick_check(${table})`, { simple: true });
    if (check !== 'ok') {
      db.close();
      throw new StoreError(`database ${file} failed integrity check: ${String(check)}`);
    }
  }
  return db;
}

export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Db {
  return new Db(connect(file, opts), file);
}

function migrate(db: Connection): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
