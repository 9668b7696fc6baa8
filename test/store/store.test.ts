import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { AUTH_CACHE_TTL_MS } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore, type TestDatabase, type TestDialect, type TestStore } from '../databases.js'

const box = createSecretBox(randomBytes(32))

const token = { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1' }

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    await storeCases(t, dialect)
  })
}

async function openStore (t: Test, dialect: TestDialect, now?: () => Date, database?: TestDatabase): Promise<TestStore> {
  return await openTestStore(t, dialect, { now, database, secretBox: box })
}

async function storeCases (t: Test, dialect: TestDialect): Promise<void> {
  t.test('migrations run once and survive a reopen', async (t) => {
    const store = await openStore(t, dialect)
    t.equal(store.dialect, dialect)
    await store.ping()
    await store.servers.upsert({ name: 'default', token })
    await store.close()
    await store.close() // idempotent
    await t.rejects(store.ping(), 'a closed store does not answer')
    const again = await openStore(t, dialect, undefined, store.database)
    t.same((await again.servers.list()).map((s) => s.name), ['default'])
  })

  t.test('servers repository', async (t) => {
    let clock = Date.parse('2026-01-01T00:00:00Z')
    const store = await openStore(t, dialect, () => new Date(clock))
    const first = await store.servers.upsert({ name: 'b', token, baseUrl: 'http://127.0.0.1:1' })
    t.equal(first.created, true)
    t.equal(first.record.baseUrl, 'http://127.0.0.1:1')
    clock += 1000
    const second = await store.servers.upsert({ name: 'b', token: { ...token, access_token_expiry: '2027-01-01T00:00:00.000Z' } })
    t.equal(second.created, false)
    t.equal(second.record.createdAt, '2026-01-01T00:00:00.000Z')
    t.equal(second.record.updatedAt, '2026-01-01T00:00:01.000Z')
    t.equal(second.record.baseUrl, undefined)
    await store.servers.upsert({ name: 'a', token })
    t.same((await store.servers.list()).map((s) => s.name), ['a', 'b'])
    t.equal((await store.servers.get('b'))?.token.access_token_expiry, '2027-01-01T00:00:00.000Z')
    t.equal(await store.servers.get('zz'), undefined)
    t.equal(await store.servers.delete('b'), true)
    t.equal(await store.servers.delete('b'), false)
  })

  t.test('api keys repository', async (t) => {
    const store = await openStore(t, dialect)
    await store.keys.create({ id: 'k1', label: 'munki', scope: 'read', hash: 'h1' })
    await store.keys.create({ id: 'k2', label: 'ops', scope: 'admin', hash: 'h2' })
    t.equal(await store.keys.countActive(), 2)
    t.equal(await store.keys.countActive('admin'), 1)
    t.equal((await store.keys.getForAuth('k1'))?.hash, 'h1')
    t.equal(await store.keys.getForAuth('nope'), undefined)
    t.notOk('hash' in ((await store.keys.get('k1')) ?? {}))
    t.equal(await store.keys.get('nope'), undefined)
    await store.keys.touch('k1', new Date('2026-02-02T00:00:00Z'))
    t.equal((await store.keys.get('k1'))?.lastUsedAt, '2026-02-02T00:00:00.000Z')
    t.equal(await store.keys.revoke('k2'), true)
    t.equal(await store.keys.revoke('k2'), false)
    t.ok((await store.keys.get('k2'))?.revokedAt)
    t.equal(await store.keys.countActive('admin'), 0)
    t.same((await store.keys.list()).map((k) => k.id), ['k1', 'k2'])
    t.same((await store.keys.list({ includeRevoked: false })).map((k) => k.id), ['k1'])
  })

  t.test('key records for authentication are cached, and revocation through the same store is seen at once', async (t) => {
    let clock = Date.parse('2026-01-01T00:00:00Z')
    const store = await openStore(t, dialect, () => new Date(clock))
    // A second store on the same database stands for the CLI or another replica.
    const other = await openTestStore(t, dialect, { database: store.database })
    await store.keys.create({ id: 'k1', label: 'munki', scope: 'read', hash: 'h1' })
    t.equal(store.keys.peekForAuth('k1'), undefined, 'peek never reads the database')
    t.equal((await store.keys.getForAuth('k1'))?.revokedAt, undefined)
    t.equal(store.keys.peekForAuth('k1')?.hash, 'h1', 'peek answers from the cache')
    await other.keys.revoke('k1')
    clock += AUTH_CACHE_TTL_MS - 1
    t.equal((await store.keys.getForAuth('k1'))?.revokedAt, undefined, 'another process\'s revocation waits for the TTL')
    clock += 1
    t.equal(store.keys.peekForAuth('k1'), undefined, 'peek never answers from an expired entry')
    t.ok((await store.keys.getForAuth('k1'))?.revokedAt, 'and lands once it expired')

    await store.keys.create({ id: 'k2', label: 'ops', scope: 'admin', hash: 'h2' })
    t.equal((await store.keys.getForAuth('k2'))?.hash, 'h2')
    t.equal(await store.keys.revoke('k2'), true)
    t.ok((await store.keys.getForAuth('k2'))?.revokedAt, 'revoked through this store: refused at once')

    // A read that was in flight while the key was revoked must not cache the old record.
    await store.keys.create({ id: 'k3', label: 'ci', scope: 'write', hash: 'h3' })
    const racing = store.keys.getForAuth('k3')
    await store.keys.revoke('k3')
    t.equal((await racing)?.id, 'k3')
    t.ok((await store.keys.getForAuth('k3'))?.revokedAt)
    t.equal(await store.keys.getForAuth('nope'), undefined)
  })

  t.test('the key cache is bounded and can be turned off', async (t) => {
    const tiny = await openTestStore(t, dialect, { authCache: { max: 1 } })
    const off = await openTestStore(t, dialect, { database: tiny.database, authCache: { ttlMs: 0 } })
    await off.keys.create({ id: 'a1', label: 'a', scope: 'read', hash: 'ha' })
    await off.keys.create({ id: 'b1', label: 'b', scope: 'read', hash: 'hb' })
    t.equal((await off.keys.getForAuth('a1'))?.hash, 'ha')
    await tiny.keys.revoke('a1')
    t.ok((await off.keys.getForAuth('a1'))?.revokedAt, 'ttlMs 0: every call reads the database')

    t.equal((await tiny.keys.getForAuth('b1'))?.hash, 'hb')
    t.equal((await tiny.keys.getForAuth('a1'))?.id, 'a1', 'pushes b1 out of a one-entry cache')
    await off.keys.revoke('b1')
    t.ok((await tiny.keys.getForAuth('b1'))?.revokedAt, 'b1 was evicted, so the revocation is seen at once')
  })

  t.test('audit repository', async (t) => {
    const store = await openStore(t, dialect)
    await store.audit.record({ keyId: 'k1', action: 'server.put', target: 'server:a', result: 'ok' })
    await store.audit.record({ keyId: null, action: 'key.create', target: 'key:k9', result: 'ok', detail: 'scope=read' })
    const all = await store.audit.list()
    t.same(all.map((e) => e.action), ['key.create', 'server.put'])
    t.equal(all[0].detail, 'scope=read')
    t.equal(all[1].detail, undefined)
    t.same((await store.audit.list({ target: 'server:a', limit: 5 })).map((e) => e.keyId), ['k1'])
  })
}
