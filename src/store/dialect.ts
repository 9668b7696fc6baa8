/**
 * The one place that knows which database the store runs on: SQLite (embedded default, a file
 * under the data dir) or PostgreSQL through a pg Pool (several replicas on one database).
 * Repositories and migrations only see Kysely.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { type DatabaseIntrospector, type Dialect, type Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { DEFAULT_CONNECT_TIMEOUT_MS, parsePostgresUrl, type PostgresUrlSettings, redactDatabaseUrl } from './database-url.js'
import { OwnSchemaIntrospector } from './pg-introspector.js'
import { MAX_SNAPSHOTS, snapshotLimitFor } from './read-snapshots.js'
import { SqliteSnapshotReader } from './sqlite-reader.js'
import { withStatementCache } from './sqlite-statements.js'

export type DialectName = 'sqlite' | 'postgres'

export type DialectOptions =
  | { dataDir: string, databaseUrl?: undefined }
  | {
    /** postgres:// or postgresql://; `?pool_size=N` sets the pool size unless `poolSize` does. */
    databaseUrl: string
    dataDir?: undefined
    /** Connections in the pool (default DEFAULT_POOL_SIZE). */
    poolSize?: number
    /** How long opening a connection may take before it fails (default 10 s). */
    connectTimeoutMs?: number
  }

export const SQLITE_FILE = 'depgate.sqlite'

export interface OpenedDialect {
  dialect: Dialect
  name: DialectName
  /** SQLite only: the read-only snapshot connection for the hottest lookups (sqlite-reader.ts). */
  reader?: SqliteSnapshotReader
  /** Sorted whole-list snapshots open at once at most (read-snapshots.ts): PostgreSQL's come out of its pool. */
  snapshotLimit: number
}

export function createDialect (opts: DialectOptions): OpenedDialect {
  if (opts.databaseUrl !== undefined) {
    const settings = parsePostgresUrl(opts.databaseUrl, opts.poolSize)
    return { dialect: postgresDialect(opts.databaseUrl, settings, opts.connectTimeoutMs), name: 'postgres', snapshotLimit: snapshotLimitFor(settings.poolSize) }
  }
  mkdirSync(opts.dataDir, { recursive: true })
  const file = join(opts.dataDir, SQLITE_FILE)
  const database = new Sqlite(file)
  // WAL lets readers (readyz, lists) proceed while a write is in flight; busy_timeout covers the CLI writing beside the server.
  try {
    useWal(database)
  } catch (err) {
    database.close()
    throw err
  }
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  // Freed pages are zeroed, so a sealed-over clear-text token (rows from before secrets were sealed) leaves no trace in the file.
  database.pragma('secure_delete = ON')
  // With WAL, NORMAL syncs at checkpoints instead of every commit: a killed process still loses
  // nothing committed (the log survives it); only a power cut can drop the last transactions, and
  // the database stays consistent. FULL costs an fsync per committed page of a sync.
  database.pragma('synchronous = NORMAL')
  let writes = 0
  const reader = new SqliteSnapshotReader(file, { writes: () => writes })
  // SQLite snapshots are connections of their own, outside any pool.
  return { dialect: new SqliteDialect({ database: withStatementCache(database, undefined, () => { writes++ }) }), name: 'sqlite', reader, snapshotLimit: MAX_SNAPSHOTS }
}

/** Tries of the switch to WAL, WAL_RETRY_MS apart, before the error goes up. */
const WAL_TRIES = 50
const WAL_RETRY_MS = 10

/**
 * Two processes opening one new file at once both switch it to WAL, which needs the file alone for
 * a moment: SQLite refuses one of them at once with SQLITE_BUSY (without busy_timeout: waiting
 * could deadlock), and the other's switch is done a moment later, so the next try finds WAL. The
 * wait blocks the thread, as all of better-sqlite3 does; it only happens at start.
 */
function useWal (database: Sqlite.Database): void {
  for (let tries = 1; tries < WAL_TRIES; tries++) {
    try {
      database.pragma('journal_mode = WAL')
      return
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WAL_RETRY_MS)
    }
  }
  database.pragma('journal_mode = WAL') // the last try: its error goes up
}

/** PostgreSQL, introspected in the connection's own schema only (pg-introspector.ts says why). */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector (db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db, super.createIntrospector(db))
  }
}

function postgresDialect (url: string, settings: PostgresUrlSettings, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Dialect {
  return new OwnSchemaPostgresDialect({
    // Kysely calls this once, at the first query (the migrations): one connection is tried here so
    // a wrong host or password fails start-up with the URL redacted, not pg's bare message later.
    async pool () {
      const pool = new pg.Pool({
        connectionString: settings.connectionString,
        max: settings.poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        // Names depgate's sessions in pg_stat_activity; `?application_name=` in the URL wins.
        application_name: 'depgate'
      })
      // An idle client that loses its server emits 'error' on the pool; unhandled, that would kill
      // the process. The next query opens a new connection and fails (or succeeds) on its own.
      pool.on('error', () => {})
      // A client that loses its server while checked out (a query running, a transaction open)
      // emits 'error' on itself, where the pool does not listen: unhandled, that too would kill the
      // process. Its query or next statement fails instead (answered 503), and the pool drops the
      // broken client at release.
      pool.on('connect', (client) => { client.on('error', () => {}) })
      try {
        const client = await pool.connect()
        client.release()
      } catch (err) {
        await pool.end()
        // No `cause`: a URL parse error carries the URL (password included) in its `input`.
        throw new Error(`cannot connect to PostgreSQL at ${redactDatabaseUrl(url)}: ${describe(err, url)}`)
      }
      return pool
    }
  })
}

function describe (err: unknown, url: string): string {
  // pg rejects with Errors (AggregateError with an empty message when every address refused).
  const e = err as { message: string, code?: unknown }
  const message = e.message
  let safe = message.split(url).join(redactDatabaseUrl(url))
  // Belt and braces: whatever pg said, the password itself (as written and decoded) goes.
  for (const secret of passwords(url)) safe = safe.split(secret).join('***')
  return typeof e.code === 'string' && !safe.includes(e.code) ? `${safe} (${e.code})` : safe
}

/** The URL's password as written and as pg sees it (percent-decoded). The URL was validated by parsePostgresUrl. */
function passwords (url: string): string[] {
  const raw = new URL(url).password
  if (raw === '') return []
  try {
    return [raw, decodeURIComponent(raw)]
  } catch {
    return [raw]
  }
}
