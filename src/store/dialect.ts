/**
 * The one place that knows which database the store runs on: SQLite (embedded default, a file
 * under the data dir). Repositories and migrations only see Kysely.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { type Dialect, SqliteDialect } from 'kysely'

export type DialectName = 'sqlite' | 'postgres'

export type DialectOptions =
  | { dataDir: string, databaseUrl?: undefined }
  | { databaseUrl: string, dataDir?: undefined }

export const SQLITE_FILE = 'depgate.sqlite'

export function createDialect (opts: DialectOptions): { dialect: Dialect, name: DialectName } {
  if (opts.databaseUrl !== undefined) {
    // PostgreSQL (pg through Kysely's PostgresDialect) lands with the multi-replica issue.
    throw new Error('DEPGATE_DATABASE_URL (PostgreSQL) is not supported yet; leave it unset to use SQLite under DEPGATE_DATA_DIR')
  }
  mkdirSync(opts.dataDir, { recursive: true })
  const database = new Sqlite(join(opts.dataDir, SQLITE_FILE))
  // WAL lets readers (readyz, lists) proceed while a write is in flight; busy_timeout covers the CLI writing beside the server.
  database.pragma('journal_mode = WAL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  // Freed pages are zeroed, so a sealed-over clear-text token (rows from before secrets were sealed) leaves no trace in the file.
  database.pragma('secure_delete = ON')
  return { dialect: new SqliteDialect({ database }), name: 'sqlite' }
}
