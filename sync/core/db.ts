/**
 * The core's database: PostgreSQL through `pg`, or PGlite embedded in the data folder when no
 * database URL is given. Both speak the same SQL and run the same migrations; this module is the
 * only place that knows which one it is.
 *
 * Rules of this interface:
 * - `query` runs one statement on any pooled connection; `transaction` runs `fn` on one connection
 *   inside BEGIN/COMMIT and rolls back if `fn` throws. A transaction aborted by a deadlock or a
 *   serialisation failure is retried from the start (at most {@link TRANSACTION_RETRIES} times), so
 *   `fn` must not have effects outside the database.
 * - Values come back normalised: bigint as number, bytea as Buffer, timestamptz as Date.
 * - Exactly-once comes from constraints in the schema, never from this process's memory: several
 *   core processes may serve one PostgreSQL database at once.
 */
import fs from 'node:fs';
import path from 'node:path';
// Types only: each driver is loaded when a database of its kind is opened (PGlite alone adds about
// 40 MB to a process), so the terminal host and the CLI's other commands never load them.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

/**
 * A statement that PostgreSQL parses and plans once per connection and then runs by name: for the
 * statements on the path of every online payment, where parsing and planning were a good part of
 * each round trip. The name must be unique to the text (pg refuses a name reused for another).
 * PGlite runs the text.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** SQL text, or a statement to prepare once per connection. */
export type Statement = string | PreparedStatement;

export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

const textOf = (sql: Statement) => (typeof sql === 'string' ? sql : sql.text);

/** pg's query argument: a named statement travels as a query config. */
function pgQuery(sql: Statement, params: unknown[]): pg.QueryConfig | string {
  return typeof sql === 'string' ? sql : { name: sql.name, text: sql.text, values: params };
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: Statement, params?: unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface CoreDb extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * One statement committed without waiting for its WAL flush (synchronous_commit = off): for
   * bookkeeping whose loss in a crash is harmless (nonces, last-seen times), so that it doesn't add
   * a second fsync to every request. Constraints still hold; only durability lags (~200 ms).
   */
  queryRelaxed<R = Record<string, unknown>>(sql: Statement, params?: unknown[]): Promise<QueryResult<R>>;
  /** Where the data is, for messages: the URL without its password, or the PGlite folder. */
  readonly location: string;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A deadlock between two core processes touching the same wallets is resolved by retrying. */
export const TRANSACTION_RETRIES = 5;
const RETRYABLE = new Set(['40001', '40P01']);

/** pg returns int8 as strings to be safe; every int8 here (minor units, seqs) is a safe integer. */
function pgTypes(types: typeof pg.types) {
  return {
    getTypeParser(oid: number, format?: string) {
      if (oid === 20) return (v: string) => Number(v);
      return types.getTypeParser(oid, format as 'text');
    },
  };
}

export class CoreDbError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreDbError';
  }
}

/**
 * No connection to the database could be had (refused, not accepting connections, too many): no
 * statement of the request ran, so nothing of it was applied. A failure later in a transaction is
 * rolled back too, but one at its COMMIT leaves it unknown, so only this case is said for certain.
 */
export class CoreDbUnavailableError extends CoreDbError {
  constructor(cause: unknown) {
    super(`the core's database can't be reached (${(cause as Error)?.message ?? cause})`, { cause });
    this.name = 'CoreDbUnavailableError';
  }
}

/**
 * A pooled connection, or CoreDbUnavailableError when none can be had. While checked out, the
 * connection's 'error' events (the server gone mid-statement) are taken here, as pool.query does
 * for its own: the statement's rejection says it, and the connection is released with the error.
 * Without a listener, an 'error' event is an uncaught exception that ends the core's process.
 */
async function connect(pool: pg.Pool): Promise<{ client: pg.PoolClient; done: (err?: Error) => void }> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new CoreDbUnavailableError(err);
  }
  const onError = () => {};
  client.on('error', onError);
  return {
    client,
    done: (err) => {
      client.removeListener('error', onError);
      client.release(err);
    },
  };
}

/**
 * How long a request waits for a database connection (a new one, or a free one of the pool) before
 * the core answers 503 CORE_UNAVAILABLE, nothing done: well within a terminal's wait for an online
 * payment (15 s), which then takes the offline path. Without it, a database host that drops packets
 * kept requests waiting until the terminal gave up, and its payments ended in doubt.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/** One statement on a pooled connection; a connection that breaks is destroyed, not reused. */
async function poolQuery(pool: pg.Pool, text: pg.QueryConfig | string, params?: unknown[]) {
  const { client, done } = await connect(pool);
  try {
    const r = await client.query(text as string, params);
    done();
    return r;
  } catch (err) {
    done(isConnectionError(err) ? (err as Error) : undefined);
    throw err;
  }
}

/** An error of the connection itself (not of the statement): the client is not to be reused. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === undefined || code.startsWith('E') || code.startsWith('57P') || code.startsWith('08');
}

/** A database URL for messages and logs: its password, if any, masked. */
export function redactDatabaseUrl(url: string): string {
  if (isPostgresUrl(url)) {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      // A form URL() refuses, such as postgres://user:pw@/db?host=/run/postgresql: masked below.
    }
  }
  // Anything else, as typed ("user:pw@host/db" is a URL to URL(), of scheme "user:"): whatever
  // lies between the user's ':' and the last '@' may be a password.
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^:@/]*):.*@/is, '$1:***@');
}

/**
 * Whether `url` is for PostgreSQL: postgres:// or postgresql://. pg reads any other string as a
 * URL relative to postgres://base (pg-connection-string), so a mistyped "notaurl" failed as
 * "getaddrinfo ENOTFOUND base". Only the scheme is checked: pg accepts forms that URL() refuses.
 */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The accepted form of a database URL, for messages. */
export const POSTGRES_URL_FORM = 'postgres://user:password@host:5432/database (or postgresql://...)';

class PostgresDb implements CoreDb {
  readonly kind = 'postgres';
  constructor(
    private readonly pool: pg.Pool,
    private readonly relaxed: pg.Pool,
    readonly location: string,
  ) {}

  async query<R>(sql: Statement, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await poolQuery(this.pool, pgQuery(sql, params), params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async queryRelaxed<R>(sql: Statement, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await poolQuery(this.relaxed, pgQuery(sql, params), params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await poolQuery(this.pool, sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { client, done } = await connect(this.pool);
      let broken: Error | undefined;
      try {
        try {
          await client.query('BEGIN');
        } catch (err) {
          // A pooled connection the server has dropped meanwhile: nothing ran on it.
          if (!isConnectionError(err)) throw err;
          broken = err as Error;
          throw new CoreDbUnavailableError(err);
        }
        const tx: Queryable = {
          query: async <R>(sql: Statement, params: unknown[] = []) => {
            const r = await client.query(pgQuery(sql, params), params);
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
          exec: async (sql: string) => {
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!broken) await client.query('ROLLBACK').catch(() => {});
        if (attempt < TRANSACTION_RETRIES && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        done(broken);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.relaxed.end()]);
  }
}

function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

/** pg's rowCount: rows changed, or rows returned by a SELECT (PGlite reports 0 affected for those). */
function pgliteRowCount(r: { affectedRows?: number; rows: unknown[] }): number {
  return Math.max(r.affectedRows ?? 0, r.rows.length);
}

class PgliteDb implements CoreDb {
  readonly kind = 'pglite';
  constructor(
    private readonly db: PGlite,
    readonly location: string,
  ) {}

  /** One embedded connection: the same as `query`. */
  queryRelaxed<R>(sql: Statement, params: unknown[] = []): Promise<QueryResult<R>> {
    return this.query<R>(sql, params);
  }

  async query<R>(sql: Statement, params: unknown[] = []): Promise<QueryResult<R>> {
    const r = await this.db.query(textOf(sql), params);
    return {
      rows: (r.rows as Record<string, unknown>[]).map(normaliseRow) as R[],
      rowCount: pgliteRowCount(r),
    };
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    // One connection: PGlite runs transactions one at a time, so nothing here can deadlock.
    return this.db.transaction(async (t) =>
      fn({
        query: async <R>(sql: Statement, params: unknown[] = []) => {
          const r = await t.query(textOf(sql), params);
          return {
            rows: (r.rows as Record<string, unknown>[]).map(normaliseRow) as R[],
            rowCount: pgliteRowCount(r),
          };
        },
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      }),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export interface OpenCoreDbOptions {
  /** postgres://... ; when absent, PGlite in `dataDir`. */
  url?: string | null;
  dataDir?: string;
  /** Connections in the pool (PostgreSQL only). */
  poolSize?: number;
}

/** The pool size: two CPU cores here; more connections than that only queue inside PostgreSQL. */
export const DEFAULT_POOL_SIZE = 8;
/**
 * How long an idle connection is kept. pg's default (10 s) closed them whenever the terminals paused
 * for a few seconds, and the next request paid for a new PostgreSQL backend (a fork, then its
 * caches and plans built again): about 30 ms of the core's CPU and as much of PostgreSQL's, on the
 * critical path of the payment that came next. Idle connections don't keep a process alive
 * (allowExitOnIdle): a command that forgot to close the database still exits.
 */
export const POOL_IDLE_TIMEOUT_MS = 10 * 60_000;

export async function openCoreDb(options: OpenCoreDbOptions): Promise<CoreDb> {
  if (options.url) {
    if (!isPostgresUrl(options.url)) {
      throw new CoreDbError(
        `The core database URL ${redactDatabaseUrl(options.url)} is not a PostgreSQL URL: use ${POSTGRES_URL_FORM}.`,
      );
    }
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      allowExitOnIdle: true,
      types: pgTypes(pg.types),
      application_name: 'suanpan-core',
    });
    const relaxed = new pg.Pool({
      connectionString: options.url,
      max: 2,
      idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      allowExitOnIdle: true,
      types: pgTypes(pg.types),
      application_name: 'suanpan-core-bookkeeping',
      options: '-c synchronous_commit=off',
    });
    for (const p of [pool, relaxed]) {
      p.on('error', () => {
        // An idle client lost its connection; the pool replaces it on the next query.
      });
    }
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => {});
      await relaxed.end().catch(() => {});
      throw new CoreDbError(
        `Cannot connect to the core database ${redactDatabaseUrl(options.url)}: ${(err as Error).message}. Check that PostgreSQL runs and the URL is right.`,
        { cause: err },
      );
    }
    return new PostgresDb(pool, relaxed, redactDatabaseUrl(options.url));
  }
  if (!options.dataDir)
    throw new CoreDbError('No database URL and no data folder for the embedded database.');
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(options.dataDir);
    await db.waitReady;
    return new PgliteDb(db, path.resolve(options.dataDir));
  } catch (err) {
    throw new CoreDbError(
      `Cannot open the embedded core database in ${options.dataDir}: ${(err as Error).message}. Is another process using it? Only one process may open an embedded database; use PostgreSQL (--db) for several.`,
      { cause: err },
    );
  }
}
