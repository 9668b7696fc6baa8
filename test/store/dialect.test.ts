/**
 * What only the PostgreSQL dialect does: the pool, its size, connection errors that name the
 * database without its password, and surviving a connection the server closed.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { Kysely, sql } from 'kysely'
import { createDialect } from '../../src/store/dialect.js'
import { createStore } from '../../src/store/index.js'
import { MAX_SNAPSHOTS, SnapshotLimitError } from '../../src/store/read-snapshots.js'
import { createTestSchema, TEST_POSTGRES_URL } from '../databases.js'
import { until } from '../helper.js'

async function query<T extends pg.QueryResultRow> (text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    return (await client.query<T>(text, values)).rows
  } finally {
    await client.end()
  }
}

/** The test server's URL with a password, user and database swapped in. */
function withParts (parts: { password?: string, port?: string, database?: string, user?: string, search?: string }): string {
  const url = new URL(TEST_POSTGRES_URL)
  if (parts.user !== undefined) url.username = parts.user
  if (parts.password !== undefined) url.password = parts.password
  if (parts.port !== undefined) url.port = parts.port
  if (parts.database !== undefined) url.pathname = `/${parts.database}`
  if (parts.search !== undefined) url.search = parts.search
  return url.href
}

t.test('a store on PostgreSQL: dialect, ping, the pool sized from the URL, closed by close()', async (t) => {
  const { schema, url } = await createTestSchema(t)
  const app = `depgate_t_${randomBytes(4).toString('hex')}`
  const u = new URL(url)
  u.searchParams.set('application_name', app)
  u.searchParams.set('pool_size', '3')
  const store = await createStore({ databaseUrl: u.href })
  t.teardown(() => store.close())
  t.equal(store.dialect, 'postgres')
  await store.ping()
  const tables = await query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema])
  t.ok(tables.some((r) => r.table_name === 'servers'), 'migrated into the schema of the URL\'s search_path')

  // Ten concurrent queries on a pool of three never open more than three sessions.
  await Promise.all(Array.from({ length: 10 }, () => store.ping()))
  const sessions = async (): Promise<number> =>
    Number((await query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [app]))[0].n)
  const open = await sessions()
  t.ok(open >= 1 && open <= 3, `${open} sessions for a pool of 3`)

  // The server kills the idle sessions: the pool's error is absorbed, and the next query reconnects.
  await query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [app])
  await new Promise((resolve) => setTimeout(resolve, 100))
  await store.ping()

  await store.close()
  t.equal(await sessions(), 0, 'close() ends the pool')
})

t.test('a connection the server ends while a transaction holds it fails that transaction, and the process lives on', async (t) => {
  const { url } = await createTestSchema(t)
  const app = `depgate_t_${randomBytes(4).toString('hex')}`
  const u = new URL(url)
  u.searchParams.set('application_name', app)
  const db = new Kysely<unknown>({ dialect: createDialect({ databaseUrl: u.href }).dialect })
  t.teardown(() => db.destroy())
  // Checked out between two statements (as the syncer's transactions are): the client's 'error'
  // event, when the server goes, has no pool listener to land on.
  const trx = await db.startTransaction().execute()
  await sql`select 1`.execute(trx)
  await query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [app])
  // Until the backend is gone, then a moment for the socket's end to reach the client: its 'error'
  // event is what crashed this process before the fix.
  await until('the backend to end', async () => (await query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [app]))[0].n === '0' || undefined, 5000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await t.rejects(sql`select 1`.execute(trx), 'the transaction\'s next statement fails (mapped to 503)')
  await trx.rollback().execute().catch(() => {})
  t.same((await sql<{ one: number }>`select 1 as one`.execute(db)).rows, [{ one: 1 }], 'the next query gets a new connection')
})

t.test('connection failures name the database, never its password', async (t) => {
  const cases: Array<{ url: string, message: RegExp }> = [
    { url: withParts({ port: '1' }), message: /^cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: connect ECONNREFUSED/ },
    { url: withParts({ password: 's3cret-pw', port: '1' }), message: /^cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: connect ECONNREFUSED 127\.0\.0\.1:1$/ },
    { url: withParts({ password: 'p@ss/s3cret-pw', database: `nope_${randomBytes(3).toString('hex')}` }), message: /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/nope_\w+: database "nope_\w+" does not exist \(3D000\)$/ },
    // Percent-encoding that does not decode is still a password to hide.
    { url: withParts({ user: 's3cret-pw', password: '%zz', search: '?sslmode=verify-full' }), message: /postgres:\/\/s3cret-pw:\*\*\*@127\.0\.0\.1:5432\/test\?sslmode=verify-full: The server does not support SSL connections$/ }
  ]
  for (const { url, message } of cases) {
    const err = await createStore({ databaseUrl: url }).then(() => undefined, (e: unknown) => e as Error)
    t.ok(err instanceof Error, url)
    t.match(err?.message, message)
    t.notMatch(err?.message, /p@ss|p%40ss|%zz/)
    t.equal(err?.cause, undefined, 'no cause that could hold the URL')
  }
  const err = await createStore({ databaseUrl: withParts({ user: 'no_such_role', password: 'p%40ss%2Fs3cret' }) }).then(() => undefined, (e: unknown) => e as Error)
  t.match(err?.message, /role "no_such_role" does not exist \(28000\)/)
  t.notMatch(err?.message, /s3cret/)
})

t.test('a pool_size out of range is refused before any connection', async (t) => {
  await t.rejects(createStore({ databaseUrl: withParts({ password: 's3cret', search: '?pool_size=0' }) }), /postgres:\/\/postgres:\*\*\*@.*pool_size must be a whole number/)
})

t.test('a search_path naming no existing schema is refused with a clear message', async (t) => {
  const u = new URL(TEST_POSTGRES_URL)
  u.searchParams.set('options', `-c search_path=depgate_t_missing_${randomBytes(4).toString('hex')}`)
  await t.rejects(createStore({ databaseUrl: u.href }), /no schema of the connection's search_path exists/)
})

t.test('migrations ignore Kysely tables in other schemas of the same database', async (t) => {
  // A first store leaves kysely_migration* tables in its schema; a second, in an empty schema, still migrates.
  const first = await createTestSchema(t)
  const a = await createStore({ databaseUrl: first.url })
  t.teardown(() => a.close())
  const second = await createTestSchema(t)
  const b = await createStore({ databaseUrl: second.url })
  t.teardown(() => b.close())
  const tables = await query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [second.schema])
  const names = tables.map((r) => r.table_name)
  for (const name of ['api_keys', 'audit_log', 'kysely_migration', 'kysely_migration_lock', 'server_keys', 'servers']) t.ok(names.includes(name), name)
  t.equal(await b.keys.countActive(), 0)
})

t.test('sorted whole-list snapshots take at most half of a PostgreSQL pool (and at least one), four at most', async (t) => {
  const limit = (query: string) => createDialect({ databaseUrl: `${TEST_POSTGRES_URL}${query}` }).snapshotLimit
  t.equal(limit(''), MAX_SNAPSHOTS, 'the default pool of 10')
  t.equal(limit('?pool_size=1'), 1)
  t.equal(limit('?pool_size=3'), 1)
  t.equal(limit('?pool_size=6'), 3)
  t.equal(limit('?pool_size=100'), MAX_SNAPSHOTS)
  t.equal(createDialect({ databaseUrl: TEST_POSTGRES_URL, poolSize: 4 }).snapshotLimit, 2, 'poolSize wins over the URL')

  // On a real store: a pool of 2 serves one sorted stream, and refuses a second while it reads.
  const { url } = await createTestSchema(t)
  const store = await createStore({ databaseUrl: `${url}${url.includes('?') ? '&' : '?'}pool_size=2` })
  t.teardown(() => store.close())
  const at = new Date().toISOString()
  await store.mirror.acquireLease('default', 'me', 30_000)
  const devices = ['A1', 'A2', 'A3'].map((serial) => ({ serial_number: serial, model: 'Mac', os: 'OSX', device_family: 'Mac', profile_status: 'empty', op_date: at }))
  await store.mirror.applyPage('default', 'me', { phase: 'fetch', sentCursor: null, cursor: 'c', moreToFollow: false, devices })
  const first = store.mirror.streamDevices('default', { batchSize: 1, sort: 'os' })
  t.equal((await first.next()).value?.length, 1)
  await t.rejects(store.mirror.streamDevices('default', { batchSize: 1, sort: 'model' }).next(), SnapshotLimitError)
  await first.return()
})
