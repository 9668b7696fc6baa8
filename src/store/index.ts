/**
 * The store: one interface over SQLite (embedded default) and PostgreSQL. The dialect is chosen
 * in `createDialect` (dialect.ts) only; repositories use portable Kysely queries.
 */
import { Kysely, sql } from 'kysely'
import { createApiKeyRepository, type ApiKeyRepository, type AuthCacheOptions } from './api-keys.js'
import { createAuditRepository, type AuditRepository } from './audit.js'
import { createDialect, type DialectName, type DialectOptions } from './dialect.js'
import { createInventoryRepository, type InventoryRepository } from './inventory.js'
import { migrateToLatest } from './migrations.js'
import type { Database } from './schema.js'
import { createServerRepository, type ServerRepository } from './servers.js'

export type { ApiKeyRecord, ApiKeyRepository, AuthCacheOptions } from './api-keys.js'
export { AUTH_CACHE_TTL_MS } from './api-keys.js'
export type { AuditEntry, AuditEntryInput, AuditRepository } from './audit.js'
export type { ServerRecord, ServerRepository } from './servers.js'
export type { ApplyResult, DeviceRecord, InventoryRepository, InventoryStateRow, PageInput, SyncPhase } from './inventory.js'
export { LeaseLostError } from './inventory.js'
export { SQLITE_FILE } from './dialect.js'

export interface Store {
  readonly dialect: DialectName
  readonly servers: ServerRepository
  readonly keys: ApiKeyRepository
  readonly audit: AuditRepository
  /** The device mirror (#4): pages from Apple, the change feed, the sync lease. */
  readonly inventory: InventoryRepository
  /** Resolves when the database answers a trivial query (readiness). */
  ping (): Promise<void>
  close (): Promise<void>
}

interface CommonStoreOptions {
  now?: () => Date
  /** The in-memory cache of key records for authentication (see AUTH_CACHE_TTL_MS). */
  authCache?: AuthCacheOptions
}

export type StoreOptions = CommonStoreOptions & DialectOptions

/** Opens the database and migrates it to the latest schema. */
export async function createStore (opts: StoreOptions): Promise<Store> {
  const { dialect, name, reader } = createDialect(opts)
  const db = new Kysely<Database>({ dialect })
  try {
    await migrateToLatest(db)
  } /* c8 ignore start - needs a database that refuses DDL */ catch (err) {
    reader?.close()
    await db.destroy()
    throw err
  } /* c8 ignore stop */
  const now = opts.now ?? (() => new Date())
  const inventory = createInventoryRepository(db, now, reader)
  let closed = false
  return {
    dialect: name,
    servers: createServerRepository(db, now),
    keys: createApiKeyRepository(db, now, opts.authCache),
    audit: createAuditRepository(db, now),
    inventory,
    async ping () {
      await sql`select 1`.execute(db)
    },
    async close () {
      if (closed) return
      closed = true
      // A stream still open holds a pooled connection (the pool's end would wait for it) or a SQLite read connection.
      await inventory.endStreams()
      reader?.close()
      await db.destroy()
    }
  }
}
