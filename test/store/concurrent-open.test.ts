// @slow: starts node processes that open one database at once
/**
 * Two depgates opening one new database at the same moment (`depgate serve` starting while an
 * admin runs `depgate keys create` on a fresh data dir, or two replicas started together): both
 * migrate it, so the loser must wait for the winner and then open the migrated database normally.
 * Each race runs many times: before migrations.ts ran SQLite's migrations in one transaction,
 * about half the rounds failed ("table servers already exists", "duplicate column name").
 * In-process, every store has its own connection (its own SQLite file locks, its own pg pool), as
 * two processes would; one case races two processes running the build's store, both told to open
 * the same new database at once.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import Sqlite from 'better-sqlite3'
import { Kysely, sql } from 'kysely'
import t, { type Test } from 'tap'
import { main } from '../../src/cli.js'
import { createDialect } from '../../src/store/dialect.js'
import { createStore, SQLITE_FILE, type Store } from '../../src/store/index.js'
import { migrateToLatest } from '../../src/store/migrations.js'
import { createSecretBox, type SecretBox } from '../../src/tokens/secret-box.js'
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from '../databases.js'
import { cliIo, tempDir } from '../helper.js'

const ROUNDS = 20

const DIST = join(import.meta.dirname, '..', '..', 'dist', 'src')
if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build (npm test does)`)

function where (database: TestDatabase): { dataDir: string } | { databaseUrl: string } {
  return 'dataDir' in database ? { dataDir: database.dataDir } : { databaseUrl: database.databaseUrl }
}

/** Runs `fn` on a bare Kysely of `database`, outside any store. */
async function raw<T> (database: TestDatabase, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const { dialect, reader } = createDialect(where(database))
  reader?.close()
  const db = new Kysely<any>({ dialect })
  try {
    return await fn(db)
  } finally {
    await db.destroy()
  }
}

/** The migrations recorded as run, in order (the table is in the connection's schema on PostgreSQL). */
async function executed (database: TestDatabase): Promise<string[]> {
  return await raw(database, async (db) => (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name))
}

/** Opens one store per box on `database` at once, each then checking its key as a first start does. */
async function firstStarts (t: Test, database: TestDatabase, boxes: SecretBox[]): Promise<Array<{ store: Store, check: string }>> {
  const opened = await Promise.allSettled(boxes.map(async (box) => {
    const store = await createStore({ ...where(database), secretBox: box })
    t.teardown(() => store.close())
    return { store, check: await store.servers.checkSecretKey() }
  }))
  const failed = opened.flatMap((o) => o.status === 'rejected' ? [String(o.reason)] : [])
  if (failed.length > 0) throw new Error(`${failed.length} of ${boxes.length} stores failed to open: ${failed.join('; ')}`)
  return opened.flatMap((o) => o.status === 'fulfilled' ? [o.value] : [])
}

/**
 * Runs `fn` `n` times, each round a subtest of its own so that its database goes at its end: a
 * burst of PostgreSQL schemas dropped together fails the migrations of tests running beside this
 * one, as Kysely lists every schema's tables (migrations.ts tries again, but not without end).
 */
async function rounds (t: Test, n: number, fn: (t: Test, round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < n; round++) await t.test(`round ${round}`, async (t) => { await fn(t, round) })
}

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    await raceCases(t, dialect)
  })
}

async function raceCases (t: Test, dialect: TestDialect): Promise<void> {
  // What one store alone records on a new database.
  const alone = await createTestDatabase(t, dialect)
  await (await createStore(where(alone))).close()
  const all = await executed(alone)
  t.ok(all.length >= 6, `${all.length} migrations`)

  t.test('two stores opening one new database at once both open it, migrated once', async (t) => {
    await rounds(t, ROUNDS, async (t, round) => {
      const database = await createTestDatabase(t, dialect)
      const box = createSecretBox(randomBytes(32))
      const started = await firstStarts(t, database, [box, box])
      // The same key on both: one recorded it, the other found it (or wrote the same value).
      t.same(started.map((s) => s.check === 'mismatched'), [false, false])
      // Both see every table: a write through one is read through the other.
      await started[0].store.keys.create({ id: `k${round}`, label: 'race', scope: 'read', hash: 'h' })
      t.equal((await started[1].store.keys.get(`k${round}`))?.label, 'race')
      for (const { store } of started) await store.close()
      t.same(await executed(database), all, 'every migration recorded once')
    })
  })

  t.test('two first starts with different keys at once: one key is recorded, the other refused', async (t) => {
    await rounds(t, ROUNDS, async (t) => {
      const database = await createTestDatabase(t, dialect)
      const boxes = [createSecretBox(randomBytes(32)), createSecretBox(randomBytes(32))]
      const started = await firstStarts(t, database, boxes)
      t.same(started.map((s) => s.check).sort(), ['mismatched', 'stored'])
      const winner = started.findIndex((s) => s.check === 'stored')
      // Each store answers the same once the race is over: neither overwrote the other's check.
      t.same(await Promise.all(started.map(({ store }) => store.servers.checkSecretKey())), started.map((_, i) => i === winner ? 'matched' : 'mismatched'))
      for (const { store } of started) await store.close()
    })
  })

  t.test('depgate keys create twice at once on a new data dir', async (t) => {
    await rounds(t, ROUNDS / 2, async (t) => {
      const env = await cliEnv(t, dialect)
      const runs = [cliIo(env), cliIo(env)]
      const codes = await Promise.all(runs.map(async (io, i) => await main(['keys', 'create', '--label', `admin ${i}`, '--scope', 'admin'], io)))
      t.same(codes, [0, 0], runs.map((io) => io.err.join('')).join('\n'))
      t.same(await keyLabels(env), ['admin 0', 'admin 1'])
    })
  })

  t.test('two processes opening one new database at once, with different keys', async (t) => {
    const [one, two] = [opener(t), opener(t)]
    await rounds(t, ROUNDS, async (t) => {
      const database = await createTestDatabase(t, dialect)
      // Both have loaded everything and wait: the two lines go out together.
      const replies = await Promise.all([one, two].map(async (o) => await o.open(where(database), randomBytes(32))))
      t.same(replies.map((r) => r.check ?? r.error).sort(), ['mismatched', 'stored'])
      t.same(await executed(database), all, 'every migration recorded once')
    })
  })

  t.test('a migration that fails leaves nothing behind', async (t) => {
    const database = await createTestDatabase(t, dialect)
    // A table of 0001 already there (another app's): 0001 fails part way.
    await raw(database, async (db) => { await db.schema.createTable('audit_log').addColumn('id', 'text').execute() })
    await t.rejects(createStore(where(database)), /audit_log/)
    // PostgreSQL's introspection lists every schema's tables: only this test's count.
    const schema = 'schema' in database ? database.schema : undefined
    const tables = await raw(database, async (db) => (await db.introspection.getTables({ withInternalKyselyTables: true }))
      .filter((x) => x.schema === schema).map((x) => x.name))
    // On PostgreSQL, Kysely creates its own (empty) bookkeeping tables before its transaction.
    t.same(dialect === 'sqlite' ? tables : tables.filter((n) => !n.startsWith('kysely_')), ['audit_log'], 'no table of 0001 (nor, on SQLite, Kysely\'s own)')
  })
}

t.test('sqlite: a write lock held elsewhere past the wait fails the migration with SQLITE_BUSY', async (t) => {
  const dataDir = tempDir(t)
  const { dialect, reader } = createDialect({ dataDir })
  reader?.close()
  const db = new Kysely<any>({ dialect })
  t.teardown(() => db.destroy())
  const holder = new Sqlite(join(dataDir, SQLITE_FILE))
  t.teardown(() => { holder.close() })
  holder.exec('begin immediate')
  await t.rejects(migrateToLatest(db, { waitMs: 100 }), { code: 'SQLITE_BUSY' })
  t.same((await sql`pragma busy_timeout`.execute(db)).rows, [{ timeout: 5000 }], 'busy_timeout is back')
  holder.exec('rollback')
  t.ok((await migrateToLatest(db)).length >= 6, 'migrates once the lock is gone')
  t.same(await migrateToLatest(db), [], 'then has nothing to do')
})

t.test('sqlite: the switch to WAL is tried again while the file is not free, then its error goes up', async (t) => {
  const dataDir = tempDir(t)
  // A write transaction on a file still in rollback-journal mode, as another process's start may
  // hold for a moment: the switch needs the file alone, and SQLite refuses it at once.
  const holder = new Sqlite(join(dataDir, SQLITE_FILE))
  t.teardown(() => { holder.close() })
  holder.exec('create table t (a)')
  holder.exec('begin immediate')
  const started = Date.now()
  t.throws(() => createDialect({ dataDir }), { code: 'SQLITE_BUSY' })
  t.ok(Date.now() - started >= 400, 'after trying again for a while')
  holder.exec('commit')
  const db = new Kysely<any>({ dialect: createDialect({ dataDir }).dialect })
  t.same((await sql`pragma journal_mode`.execute(db)).rows, [{ journal_mode: 'wal' }], 'the switch succeeds once the file is free')
  await db.destroy()
  // Any other error is not waited out.
  const other = tempDir(t)
  writeFileSync(join(other, SQLITE_FILE), 'not a database\n'.repeat(100))
  t.throws(() => createDialect({ dataDir: other }), { code: 'SQLITE_NOTADB' })
})

async function cliEnv (t: Test, dialect: TestDialect): Promise<Record<string, string>> {
  const env: Record<string, string> = { DEPGATE_DATA_DIR: tempDir(t) }
  if (dialect === 'postgres') env.DEPGATE_DATABASE_URL = (await createTestDatabase(t, dialect) as { databaseUrl: string }).databaseUrl
  return env
}

async function keyLabels (env: Record<string, string>): Promise<string[]> {
  const list = cliIo(env)
  if (await main(['keys', 'list', '--json'], list) !== 0) throw new Error(list.err.join(''))
  return (JSON.parse(list.out.join('')) as Array<{ label: string }>).map((k) => k.label).sort()
}

/** The child's program: opens a store on each line's database, checks the line's key, answers the check or the error. */
const OPENER = `
import { createInterface } from 'node:readline'
const { createStore } = await import(process.env.STORE)
const { createSecretBox } = await import(process.env.BOX)
process.stdout.write('ready\\n')
for await (const line of createInterface({ input: process.stdin })) {
  const { where, key } = JSON.parse(line)
  let reply
  try {
    const store = await createStore({ ...where, secretBox: createSecretBox(Buffer.from(key, 'base64')) })
    reply = { check: await store.servers.checkSecretKey() }
    await store.close()
  } catch (err) {
    reply = { error: String(err) }
  }
  process.stdout.write(JSON.stringify(reply) + '\\n')
}
`

interface Opener { open (where: object, key: Buffer): Promise<{ check?: string, error?: string }> }

/** A process running the build's store (no TypeScript loader or coverage hooks: a clean environment), ended at teardown. */
function opener (t: Test): Opener {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(process.execPath, ['--input-type=module', '-e', OPENER], {
    env: { PATH: process.env.PATH, STORE: pathToFileURL(join(DIST, 'store', 'index.js')).href, BOX: pathToFileURL(join(DIST, 'tokens', 'secret-box.js')).href },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    child.stdin.end()
    await exited
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next()
    if (done === true) throw new Error('the opener process exited')
    return value
  }
  const ready = next()
  return {
    async open (where, key) {
      if (await ready !== 'ready') throw new Error('the opener process did not start')
      child.stdin.write(`${JSON.stringify({ where, key: key.toString('base64') })}\n`)
      return JSON.parse(await next()) as { check?: string, error?: string }
    }
  }
}
