/**
 * isStoreClosedError knows each error a closed store gives, provoked on the real drivers (a
 * library rewording its message fails here), and nothing else: an unknown error stays a 500.
 */
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { isStoreClosedError } from '../../src/store/index.js'
import { createReadSnapshots } from '../../src/store/read-snapshots.js'
import { createTestDatabase, DIALECTS, openTestStore, TEST_POSTGRES_URL } from '../databases.js'

async function caught (fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

for (const dialect of DIALECTS) {
  t.test(`${dialect}: every query on a closed store`, async (t) => {
    const store = await openTestStore(t, dialect)
    await store.close()
    t.ok(isStoreClosedError(await caught(() => store.keys.list())), 'a repository query')
    t.ok(isStoreClosedError(await caught(() => store.ping())), 'the readiness ping')
    t.ok(isStoreClosedError(await caught(() => store.mirror.getDevice('default', 'C02XX0000001'))), 'the by-serial lookup')
    t.ok(isStoreClosedError(await caught(async () => { for await (const page of store.mirror.streamDevices('default', { sort: 'model' })) t.fail(String(page)) })), 'a sorted stream')
  })
}

t.test('SQLite: a transaction Kysely holds across an await when the store closes', async (t) => {
  const { dataDir } = await createTestDatabase(t, 'sqlite') as { dataDir: string }
  const db = new Kysely<{ n: { v: number } }>({ dialect: new SqliteDialect({ database: new Sqlite(join(dataDir, 'db.sqlite')) }) })
  await sql`create table n (v integer)`.execute(db)
  const err = await caught(() => db.transaction().execute(async (trx) => {
    await trx.insertInto('n').values({ v: 1 }).execute()
    await db.destroy()
    await trx.insertInto('n').values({ v: 2 }).execute()
  }))
  t.ok(isStoreClosedError(err), String(err))
})

t.test('pg: a pool asked for a connection after end()', async (t) => {
  const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL })
  await pool.end()
  const err = await caught(() => pool.connect())
  t.ok(isStoreClosedError(err), String(err))
})

t.test('a whole-list snapshot asked for while the store closes', async (t) => {
  const { dataDir } = await createTestDatabase(t, 'sqlite') as { dataDir: string }
  const db = new Kysely<never>({ dialect: new SqliteDialect({ database: new Sqlite(join(dataDir, 'db.sqlite')) }) })
  t.teardown(() => db.destroy())
  const snapshots = createReadSnapshots(db as never)
  await snapshots.endAll()
  t.ok(isStoreClosedError(await caught(() => snapshots.open())))
})

t.test('SQLite: the by-serial snapshot reader once closed', async (t) => {
  const store = await openTestStore(t, 'sqlite')
  await store.close()
  t.ok(store.mirror.getDeviceNow, 'SQLite has the synchronous lookup')
  t.ok(isStoreClosedError(await caught(() => store.mirror.getDeviceNow?.('default', 'C02XX0000001'))))
})

t.test('anything else is not a closed store', async (t) => {
  class DriverError extends Error {}
  const others: unknown[] = [
    new Error('driver has already been destroyed!'),
    new TypeError('driver has already been destroyed'),
    new DriverError('driver has already been destroyed'),
    new Error('The database connection is not open'),
    new RangeError('The database connection is not open'),
    { message: 'driver has already been destroyed' },
    'driver has already been destroyed',
    undefined,
    new Error('Connection terminated unexpectedly')
  ]
  for (const other of others) t.notOk(isStoreClosedError(other), String(other))
})
