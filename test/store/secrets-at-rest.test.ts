/**
 * With the data files but not the secret key, no OAuth secret or private key can be read: the
 * SQLite file and its WAL/SHM files are scanned for the plaintext. Legacy clear-text rows are
 * sealed at start, and a key rotation re-seals everything.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { secureStore } from '../../src/bootstrap.js'
import { createStore, SQLITE_FILE } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { buildTestApp } from '../helper.js'
import { encryptToken, NO_OPENSSL, TOKEN, tempDir } from '../tokens/helpers.js'

function scan (dir: string, needles: string[]): string[] {
  const found: string[] = []
  for (const file of [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`]) {
    const path = join(dir, file)
    if (!existsSync(path)) continue
    const bytes = readFileSync(path).toString('latin1')
    for (const n of needles) if (bytes.includes(n)) found.push(`${file}: ${n.slice(0, 12)}…`)
  }
  return found
}

t.test('uploaded tokens and key pairs are sealed in the database, WAL and SHM', { skip: NO_OPENSSL }, async (t) => {
  const ctx = await buildTestApp(t)
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const dir = tempDir(t)
  const res = await request(`${url}/v1/servers/acme/certificate`, { headers: ctx.auth() })
  const { certificate_pem: cert } = await res.body.json() as { certificate_pem: string }
  const certPath = join(dir, 'cert.pem')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(certPath, cert)
  const up = await request(`${url}/v1/servers/acme/token?base_url=${encodeURIComponent(ctx.sim!.url)}`, {
    method: 'PUT', headers: { ...ctx.auth(), 'content-type': 'application/pkcs7-mime' }, body: readFileSync(encryptToken(dir, [certPath]))
  })
  t.equal(up.statusCode, 201)
  await up.body.dump()
  // A second staged pair, so both current and staged keys are on disk.
  await (await request(`${url}/v1/servers/acme/certificate`, { headers: ctx.auth() })).body.dump()
  const keys = await ctx.store.servers.getKeys('acme')
  t.ok(keys.current !== undefined && keys.staged !== undefined)
  const privateKeys = [keys.current!.privateKeyPem, keys.staged!.privateKeyPem]
  // The base64 body of each key, line by line: any 40-character run would betray it.
  const keyLines = privateKeys.flatMap((pem) => pem.split('\n').filter((l) => l.length >= 40))
  const needles = [TOKEN.consumer_secret, TOKEN.access_token, TOKEN.access_secret, ...keyLines]
  t.same(scan(ctx.config.dataDir, needles), [])
})

t.test('legacy clear-text rows are sealed at start; rotation re-seals under a new key', async (t) => {
  const dir = tempDir(t)
  const store = await createStore({ dataDir: dir })
  t.teardown(() => store.close())
  // A row as 0001 wrote it: the token JSON in clear.
  const { Kysely, SqliteDialect } = await import('kysely')
  const Sqlite = (await import('better-sqlite3')).default
  const raw = new Kysely<any>({ dialect: new SqliteDialect({ database: new Sqlite(join(dir, SQLITE_FILE)) }) })
  await raw.insertInto('servers').values({ name: 'old', token: JSON.stringify(TOKEN), base_url: null, created_at: 'c', updated_at: 'u' }).execute()
  const { access_token_expiry: _, ...noExpiry } = TOKEN
  await raw.insertInto('servers').values({ name: 'older', token: JSON.stringify(noExpiry), base_url: null, created_at: 'c', updated_at: 'u' }).execute()
  await raw.destroy()
  t.same((await store.servers.get('old'))?.token, TOKEN, 'a legacy row still reads before it is sealed')

  const keyA = randomBytes(32)
  t.equal(await secureStore(store, { dataDir: dir, secretKey: keyA.toString('base64') }), 2)
  t.equal(await store.servers.sealLegacyTokens(), 0, 'nothing left to seal')
  t.same((await store.servers.get('old'))?.token, TOKEN)
  await store.servers.stageKey('old', { privateKeyPem: 'PRIVATE', certificatePem: 'CERT' })
  await store.servers.upsert({ name: 'old', token: TOKEN, promoteStagedKey: true })
  await store.servers.stageKey('old', { privateKeyPem: 'PRIVATE2', certificatePem: 'CERT2' })
  await store.servers.stageKey('older', { privateKeyPem: 'PRIVATE3', certificatePem: 'CERT3' })
  await store.servers.upsert({ name: 'older', token: noExpiry, account: { checkedAt: 'now' }, promoteStagedKey: true })
  await store.servers.setHealth('older', { termsNotSignedAt: 'then', lastError: { code: 'T_C_NOT_SIGNED', at: 'then' } })
  t.match(await store.servers.get('older'), { account: { checkedAt: 'now' }, termsNotSignedAt: 'then', lastError: { code: 'T_C_NOT_SIGNED' } })

  await store.servers.stageKey('newcomer', { privateKeyPem: 'PRIVATE4', certificatePem: 'CERT4' })
  const boxA = createSecretBox(keyA)
  const boxB = createSecretBox(randomBytes(32))
  t.equal(await store.servers.rotateSecrets(boxA, boxB), 6, 'two tokens, two current keys, two staged ones')
  t.equal(await store.servers.rotateSecrets(boxA, boxB), 0, 'a re-run changes nothing')
  store.servers.setSecretBox(boxA)
  await t.rejects(store.servers.get('old'), { code: 'SECRET_BOX_WRONG_KEY' })
  store.servers.setSecretBox(boxB)
  t.match((await store.servers.getKeys('old')), { current: { privateKeyPem: 'PRIVATE', certificatePem: 'CERT' }, staged: { privateKeyPem: 'PRIVATE2', certificatePem: 'CERT2', stagedAt: String } })
  t.equal(await store.servers.setHealth('nope', { termsNotSignedAt: null }), false)
  t.ok(await store.servers.delete('old'))
  t.same(await store.servers.getKeys('old'), {})
})

t.test('a store without a secret box refuses to touch tokens', async (t) => {
  const store = await createStore({ dataDir: tempDir(t) })
  t.teardown(() => store.close())
  t.notOk(store.servers.hasSecretBox())
  await t.rejects(store.servers.upsert({ name: 'x', token: TOKEN }), /secret box is not configured/)
})
