/**
 * Databases for tests: every store test runs on each of DIALECTS. SQLite is a file in a temp dir;
 * PostgreSQL is a fresh schema per store in the `test` database (on 127.0.0.1:5432, or
 * DEPGATE_TEST_POSTGRES_URL), selected through `search_path` in the connection string, so tap's
 * parallel jobs never see each other's tables. Everything is closed and dropped in t.teardown.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createStore, type Store, type StoreOptions } from '../src/store/index.js'

export const DIALECTS = ['sqlite', 'postgres'] as const
export type TestDialect = typeof DIALECTS[number]

/** The server and database the PostgreSQL tests use (trust auth, no password). */
export const TEST_POSTGRES_URL = process.env.DEPGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

interface Teardown { teardown (fn: () => unknown): void }

/** Where a test store lives: pass it to createStore (or to openTestStore) to open the same database again. */
export type TestDatabase = { dataDir: string } | { databaseUrl: string, schema: string }

/** The dialect the app-level suite runs on: DEPGATE_TEST_DATABASE=postgres, else SQLite. */
export function testDialectFromEnv (env: Record<string, string | undefined> = process.env): TestDialect {
  const value = env.DEPGATE_TEST_DATABASE ?? 'sqlite'
  if (value === '' || value === 'sqlite') return 'sqlite'
  if (value === 'postgres') return 'postgres'
  throw new Error(`DEPGATE_TEST_DATABASE must be sqlite or postgres, not ${value}`)
}

/** The test database's URL with `search_path` set to `schema`: what a depgate child process gets as DEPGATE_DATABASE_URL. */
export function testDatabaseUrl (schema: string, base = TEST_POSTGRES_URL): string {
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.href
}

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * Creates an empty schema `depgate_t_<random>` and drops it (cascade) at teardown, after whatever
 * was opened on it later has closed (tap runs teardowns last-in, first-out). Stop child processes
 * that use it in a teardown registered after this call.
 */
export async function createTestSchema (t: Teardown): Promise<{ schema: string, url: string }> {
  const schema = `depgate_t_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create schema ${schema}`))
  t.teardown(() => admin((c) => c.query(`drop schema if exists ${schema} cascade`)))
  return { schema, url: testDatabaseUrl(schema) }
}

/** Runs one statement as the test server's superuser and returns its rows. */
export async function adminQuery (text: string): Promise<unknown[]> {
  return await admin(async (c) => (await c.query(text)).rows)
}

/**
 * A login role of its own owning a fresh schema (see createTestSchema), for tests that take the
 * app's database away (connection limit 0, terminated sessions) without touching anyone else's.
 * The role is dropped last, after the schema it owns. `url` logs in as the role, without a password.
 */
export async function createRoleSchema (t: Teardown): Promise<{ role: string, schema: string, url: string }> {
  const role = `depgate_t_role_${randomBytes(4).toString('hex')}`
  await adminQuery(`create role ${role} login`)
  // Registered first, so it runs last: after the app has closed and the schema it owns is gone.
  t.teardown(() => adminQuery(`drop role if exists ${role}`))
  const { schema, url } = await createTestSchema(t)
  await adminQuery(`alter schema ${schema} owner to ${role}`)
  const asRole = new URL(url)
  asRole.username = role
  return { role, schema, url: asRole.href }
}

/** `url` with this user and password (trust auth on the test server accepts any password). */
export function withPassword (url: string, password: string, user = 'postgres'): string {
  const u = new URL(url)
  u.username = user
  u.password = password
  return u.href
}

/** A fresh, empty database of this dialect, removed at teardown. */
export async function createTestDatabase (t: Teardown, dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    // Not helper.ts's tempDir: helper.ts imports this module.
    const dataDir = mkdtempSync(join(tmpdir(), 'depgate-store-'))
    t.teardown(() => { rmSync(dataDir, { recursive: true, force: true }) })
    return { dataDir }
  }
  const { schema, url } = await createTestSchema(t)
  return { databaseUrl: url, schema }
}

export type TestStoreOptions = Omit<StoreOptions, 'dataDir' | 'databaseUrl'> & {
  /** Open this database (from createTestDatabase, or `store.database` of an earlier store) instead of a new one. */
  database?: TestDatabase
}

export type TestStore = Store & { readonly database: TestDatabase }

/** Opens a migrated store on an isolated database of this dialect; closed (and the database removed) at teardown. */
export async function openTestStore (t: Teardown, dialect: TestDialect, opts: TestStoreOptions = {}): Promise<TestStore> {
  const { database = await createTestDatabase(t, dialect), ...rest } = opts
  const where: StoreOptions = 'dataDir' in database ? { ...rest, dataDir: database.dataDir } : { ...rest, databaseUrl: database.databaseUrl }
  const store = await createStore(where)
  t.teardown(() => store.close())
  return Object.assign(store, { database })
}
