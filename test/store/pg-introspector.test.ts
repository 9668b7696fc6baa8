/**
 * PostgreSQL introspection in the connection's own schema (src/store/pg-introspector.ts): only this
 * schema's tables are listed, Kysely's migration tables included; another schema's tables are not,
 * and a schema dropped or altered while the listing runs no longer fails it, so a depgate starts
 * however busy the rest of the database is. Runs in every pass (PostgreSQL is always there in CI).
 */
import { Kysely } from 'kysely'
import t from 'tap'
import { createDialect } from '../../src/store/dialect.js'
import { createStore } from '../../src/store/index.js'
import { adminQuery, createTestSchema } from '../databases.js'

t.test('lists this schema\'s tables only, and survives a storm of schema drops while migrating', async (t) => {
  const mine = await createTestSchema(t)
  const other = await createTestSchema(t)
  await adminQuery(`create table ${other.schema}.elsewhere (id int)`)

  const store = await createStore({ databaseUrl: mine.url })
  await store.close()
  const db = new Kysely<any>({ dialect: createDialect({ databaseUrl: mine.url }).dialect })
  t.teardown(() => db.destroy())
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
  const names = tables.map((table) => table.name)
  t.ok(names.includes('servers') && names.includes('kysely_migration'), 'depgate\'s and Kysely\'s tables')
  t.notOk(names.includes('elsewhere'), 'not another schema\'s')
  t.same([...new Set(tables.map((table) => table.schema))], [mine.schema])
  t.same((await db.introspection.getMetadata()).tables.map((table) => table.name), names)
  t.ok((await db.introspection.getSchemas()).some((s) => s.name === other.schema), 'schemas are still every schema')

  // Schemas come and go beside a first start, as in a busy shared database (or a parallel test run).
  const churn = { on: true }
  const churning = (async () => {
    for (let i = 0; churn.on; i++) {
      const name = `${other.schema}_c${i}`
      await adminQuery(`create schema ${name}; create table ${name}.t (a int, b text default 'x'); drop schema ${name} cascade`)
    }
  })()
  try {
    for (let i = 0; i < 10; i++) {
      const fresh = await createTestSchema(t)
      await (await createStore({ databaseUrl: fresh.url })).close()
    }
  } finally {
    churn.on = false
    await churning
  }
  t.pass('ten first starts beside the churn')
})
