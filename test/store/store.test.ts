import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { createStore, type Store } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'

const box = createSecretBox(randomBytes(32))

async function openStore (t: Test, now?: () => Date): Promise<{ store: Store, dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'depgate-store-'))
  const store = await createStore(now === undefined ? { dataDir: dir } : { dataDir: dir, now })
  store.servers.setSecretBox(box)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { store, dir }
}

const token = { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1' }

t.test('migrations run once and survive a reopen', async (t) => {
  const { store, dir } = await openStore(t)
  t.equal(store.dialect, 'sqlite')
  await store.ping()
  await store.servers.upsert({ name: 'default', token })
  await store.close()
  await store.close() // idempotent
  const again = await createStore({ dataDir: dir })
  again.servers.setSecretBox(box)
  t.teardown(() => again.close())
  t.same((await again.servers.list()).map((s) => s.name), ['default'])
})

t.test('servers repository', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const { store } = await openStore(t, () => new Date(clock))
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
  const { store } = await openStore(t)
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

t.test('audit repository', async (t) => {
  const { store } = await openStore(t)
  await store.audit.record({ keyId: 'k1', action: 'server.put', target: 'server:a', result: 'ok' })
  await store.audit.record({ keyId: null, action: 'key.create', target: 'key:k9', result: 'ok', detail: 'scope=read' })
  const all = await store.audit.list()
  t.same(all.map((e) => e.action), ['key.create', 'server.put'])
  t.equal(all[0].detail, 'scope=read')
  t.equal(all[1].detail, undefined)
  t.same((await store.audit.list({ target: 'server:a', limit: 5 })).map((e) => e.keyId), ['k1'])
})

t.test('postgres is refused with a clear message until it lands', async (t) => {
  await t.rejects(createStore({ databaseUrl: 'postgres://127.0.0.1/test' }), /DEPGATE_DATABASE_URL/)
})
