/**
 * The audit repository on both dialects: attempts and outcomes, long serial lists kept apart,
 * filters, and rows written in the transaction of the change they record (a failing row undoes
 * the change).
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Kysely, sql } from 'kysely'
import { createDialect } from '../../src/store/dialect.js'
import { AUDIT_INLINE_SERIALS, PENDING, serialsDigest } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore, type TestDatabase, type TestDialect } from '../databases.js'

const token = { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1' }
const many = (n: number) => Array.from({ length: n }, (_, i) => `C02S${String(n - i).padStart(8, '0')}`)

/** A second connection to the store's database, for what no repository does (a row as an older depgate left it). */
async function raw (database: TestDatabase, fn: (db: Kysely<any>) => Promise<void>): Promise<void> {
  const { dialect, reader } = createDialect('dataDir' in database ? { dataDir: database.dataDir } : { databaseUrl: database.databaseUrl })
  reader?.close()
  const db = new Kysely<any>({ dialect })
  try {
    await fn(db)
  } finally {
    await db.destroy()
  }
}

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => { await cases(t, dialect) })
}

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  let clock = Date.parse('2026-04-01T00:00:00Z')
  const store = await openTestStore(t, dialect, { now: () => new Date(clock), secretBox: createSecretBox(randomBytes(32)) })
  const entry = { keyId: 'k1', target: '/v1/servers/a' }

  t.test('an attempt, then its outcome; long lists kept apart', async (t) => {
    const short = many(3)
    const id = await store.audit.attempt({ ...entry, action: 'profile.assign', serials: short, detail: '3 serial(s)' })
    t.match((await store.audit.list({ limit: 1 }))[0], { id, result: PENDING, server: 'a', serialCount: 3, serials: short, finishedAt: undefined })
    clock += 1000
    await store.audit.finish(id, { result: 'ok', detail: 'done' })
    await store.audit.finish(id, { result: 'ok' })
    t.match((await store.audit.list({ limit: 1 }))[0], { result: 'ok', detail: 'done', finishedAt: '2026-04-01T00:00:01.000Z' })
    t.same(await store.audit.serials(id), short)

    const long = many(AUDIT_INLINE_SERIALS + 1)
    const longId = await store.audit.attempt({ ...entry, action: 'devices.disown', serials: long })
    t.match((await store.audit.list({ limit: 1 }))[0], { id: longId, serials: undefined, serialCount: 1001, serialsSha256: serialsDigest(long), serialsRef: `/v1/audit/${longId}/serials` })
    t.same(await store.audit.serials(longId), long, 'the whole list, in the order sent')
    t.equal(serialsDigest(long), serialsDigest([...long].reverse()), 'the digest is of the sorted list')
    t.same(await store.audit.serials('nope'), undefined)
    const plain = await store.audit.record({ ...entry, action: 'server.put', result: 'ok', server: 'b' })
    t.same(await store.audit.serials(plain.id), [])
    t.equal(plain.server, 'b', 'an explicit server wins over the target')
  })

  t.test('filters', async (t) => {
    clock += 60_000
    await store.audit.record({ keyId: 'k2', action: 'key.create', target: '/v1/keys/abc', result: 'ok' })
    // A row from before 0009 names its server in target only.
    await store.audit.record({ keyId: 'k2', action: 'legacy', target: '/v1/servers/c/x', result: 'ok' })
    const legacy = (await store.audit.list({ limit: 1 }))[0]
    await raw(store.database, async (db) => { await sql`update audit_log set server = null where id = ${legacy.id}`.execute(db) })
    t.same((await store.audit.list({ server: 'c' })).map((e) => e.action), ['legacy'])
    t.same((await store.audit.list({ keyId: 'k2' })).map((e) => e.action), ['legacy', 'key.create'])
    t.same((await store.audit.list({ action: 'profile.assign' })).length, 1)
    t.same((await store.audit.list({ server: 'a' })).map((e) => e.action), ['devices.disown', 'profile.assign'])
    t.equal((await store.audit.list({ since: '2026-04-01T00:01:00.000Z' })).length, 2)
    t.equal((await store.audit.list({ until: '2026-04-01T00:00:59.000Z' })).length, 3)
    const [newest, next] = await store.audit.list({ limit: 2 })
    t.same((await store.audit.list({ before: newest.id, limit: 1 }))[0].id, next.id)
  })

  t.test('rows in the transaction of the change: a failing row undoes it', async (t) => {
    const bad = { keyId: null, action: null as unknown as string, target: 'x', result: 'ok' }
    await t.rejects(store.keys.create({ id: 'aaaaaaaaaaaa', label: 'l', scope: 'read', hash: 'h' }, bad))
    t.equal(await store.keys.get('aaaaaaaaaaaa'), undefined, 'no key without its row')
    await store.keys.create({ id: 'bbbbbbbbbbbb', label: 'l', scope: 'read', hash: 'h' }, { keyId: 'cli', action: 'key.create', target: '/v1/keys/bbbbbbbbbbbb', result: 'ok' })
    await store.keys.create({ id: 'cccccccccccc', label: 'l', scope: 'read', hash: 'h' })
    await t.rejects(store.keys.revoke('bbbbbbbbbbbb', bad))
    t.equal((await store.keys.get('bbbbbbbbbbbb'))?.revokedAt, undefined, 'not revoked without its row')
    t.equal(await store.keys.revoke('bbbbbbbbbbbb', { keyId: 'cli', action: 'key.revoke', target: '/v1/keys/bbbbbbbbbbbb', result: 'ok' }), true)
    t.equal(await store.keys.revoke('bbbbbbbbbbbb', { keyId: 'cli', action: 'key.revoke', target: '/v1/keys/bbbbbbbbbbbb', result: 'ok' }), false)
    t.equal(await store.keys.revoke('cccccccccccc'), true)

    await t.rejects(store.servers.upsert({ name: 'd', token, audit: () => bad }))
    t.equal(await store.servers.get('d'), undefined, 'no server without its row')
    await store.servers.upsert({ name: 'd', token, audit: (created) => ({ keyId: 'k', action: 'server.put', target: '/v1/servers/d', result: 'ok', detail: String(created) }) })
    const pair = { privateKeyPem: 'pem', certificatePem: 'cert' }
    await t.rejects(store.servers.stageKey('d', pair, bad))
    t.same(await store.servers.getKeys('d'), {}, 'no staged key without its row')
    await store.servers.stageKey('d', pair, { keyId: 'k', action: 'server.certificate', target: '/v1/servers/d', result: 'ok' })
    await t.rejects(store.servers.delete('d', bad))
    t.ok(await store.servers.get('d'), 'not deleted without its row')
    t.equal(await store.servers.delete('d', { keyId: 'k', action: 'server.delete', target: '/v1/servers/d', result: 'ok' }), true)
    t.equal(await store.servers.delete('d', { keyId: 'k', action: 'server.delete', target: '/v1/servers/d', result: 'ok' }), false)
    t.same((await store.audit.list({ server: 'd' })).map((e) => `${e.action} ${e.detail ?? ''}`), ['server.delete ', 'server.certificate ', 'server.put true'])
    t.same((await store.audit.list({ keyId: 'cli' })).map((e) => e.action), ['key.revoke', 'key.create'])
  })
}
