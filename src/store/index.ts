/**
 * The store: one interface over SQLite (embedded default) and, next, PostgreSQL. The dialect is
 * chosen in `createDialect` only; repositories use portable Kysely queries.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { type Dialect, Kysely, SqliteDialect, sql } from 'kysely'
import { createApiKeyRepository, type ApiKeyRepository, type AuthCacheOptions } from './api-keys.js'
import { createAuditRepository, type AuditRepository } from './audit.js'
import { migrateToLatest } from './migrations.js'
import type { Database } from './schema.js'
import { createServerRepository, type ServerRepository } from './servers.js'

export type { ApiKeyRecord, ApiKeyRepository, AuthCacheOptions } from './api-keys.js'
export { AUTH_CACHE_TTL_MS } from './api-keys.js'
export type { AuditEntry, AuditEntryInput, AuditRepository } from './audit.js'
export type { ServerRecord, ServerRepository } from './servers.js'

export interface Store {
  readonly dialect: 'sqlite' | 'postgres'
  readonly servers: ServerRepository
  readonly keys: ApiKeyRepository
  readonly audit: AuditRepository
  /** Resolves when the database answers a trivial query (readiness). */
  ping (): Promise<void>
  close (): Promise<void>
}

interface CommonStoreOptions {
  now?: () => Date
  /** The in-memory cache of key records for authentication (see AUTH_CACHE_TTL_MS). */
  authCache?: AuthCacheOptions
}

export type StoreOptions =
  | CommonStoreOptions & { dataDir: string, databaseUrl?: undefined }
  | CommonStoreOptions & { databaseUrl: string, dataDir?: undefined }

export const SQLITE_FILE = 'depgate.sqlite'

function createDialect (opts: StoreOptions): { dialect: Dialect, name: Store['dialect'] } {
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

/** Opens the database and migrates it to the latest schema. */
export async function createStore (opts: StoreOptions): Promise<Store> {
  const { dialect, name } = createDialect(opts)
  const db = new Kysely<Database>({ dialect })
  try {
    await migrateToLatest(db)
  } /* c8 ignore start - needs a database that refuses DDL */ catch (err) {
    await db.destroy()
    throw err
  } /* c8 ignore stop */
  const now = opts.now ?? (() => new Date())
  let closed = false
  return {
    dialect: name,
    servers: createServerRepository(db, now),
    keys: createApiKeyRepository(db, now, opts.authCache),
    audit: createAuditRepository(db, now),
    async ping () {
      await sql`select 1`.execute(db)
    },
    async close () {
      if (closed) return
      closed = true
      await db.destroy()
    }
  }
}
