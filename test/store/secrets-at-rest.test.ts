/**
 * With the data files but not the secret key, no OAuth secret or private key can be read: the
 * SQLite file and its WAL/SHM files are scanned for the plaintext (on PostgreSQL, every row of
 * every table in the store's schema). Legacy clear-text rows are sealed at start, and a key
 * rotation re-seals everything.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kysely, sql } from 'kysely'
import t from 'tap'
import { request } from 'undici'
import { secureStore } from '../../src/bootstrap.js'
import { createDialect } from '../../src/store/dialect.js'
import { SQLITE_FILE, type Store } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore, type TestDatabase, type TestStore } from '../databases.js'
import { buildTestApp } from '../helper.js'
import { encryptToken, NO_OPENSSL, TOKEN, tempDir } from '../tokens/helpers.js'

/** Every row of every table in the store's PostgreSQL schema, as text, scanned for the needles. */
async function scanPostgres (database: Extract<TestDatabase, { databaseUrl: string }>, needles: string[]): Promise<string[]> {
  const raw = new Kysely<any>(createDialect({ databaseUrl: database.databaseUrl }))
  try {
    const found: string[] = []
    const { rows: tables } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${database.schema}`.execute(raw)
    for (const { name } of tables) {
      const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(`${database.schema}.${name}`)} t`.execute(raw)
      const text = rows.map((r) => r.row).join('\n')
      for (const n of needles) if (text.includes(n)) found.push(`${name}: ${n.slice(0, 12)}…`)
    }
    t.ok(tables.length >= 4, `scanned ${tables.length} tables`)
    return found
  } finally {
    await raw.destroy()
  }
}

async function scanStore (store: Store, dataDir: string, needles: string[]): Promise<string[]> {
  const { database } = store as TestStore
  return 'databaseUrl' in database ? await scanPostgres(database, needles) : scan(dataDir, needles)
}

function scan (dir: string, needles: string[]): string[] {
  const found: string[] = []
  t.ok(existsSync(join(dir, SQLITE_FILE)), 'the SQLite file is there to scan')
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
  const res = await request(`${url}/v1/servers/acme/certificate`, { method: 'POST', headers: ctx.auth() })
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
  await (await request(`${url}/v1/servers/acme/certificate`, { method: 'POST', headers: ctx.auth() })).body.dump()
  const keys = await ctx.store.servers.getKeys('acme')
  t.ok(keys.current !== undefined && keys.staged !== undefined)
  const privateKeys = [keys.current!.privateKeyPem, keys.staged!.privateKeyPem]
  // The base64 body of each key, line by line: any 40-character run would betray it.
  const keyLines = privateKeys.flatMap((pem) => pem.split('\n').filter((l) => l.length >= 40))
  const needles = [TOKEN.consumer_secret, TOKEN.access_token, TOKEN.access_secret, ...keyLines]
  t.same(await scanStore(ctx.store, ctx.config.dataDir, needles), [])
})

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    t.test('legacy clear-text rows are sealed at start; rotation re-seals under a new key', async (t) => {
      const boxA = createSecretBox(randomBytes(32))
      const store = await openTestStore(t, dialect, { secretBox: boxA })
      // A row as 0001 wrote it: the token JSON in clear.
      const raw = new Kysely<any>(createDialect(store.database))
      await raw.insertInto('servers').values({ name: 'old', token: JSON.stringify(TOKEN), base_url: null, created_at: 'c', updated_at: 'u' }).execute()
      const { access_token_expiry: _, ...noExpiry } = TOKEN
      await raw.insertInto('servers').values({ name: 'older', token: JSON.stringify(noExpiry), base_url: null, created_at: 'c', updated_at: 'u' }).execute()
      await raw.destroy()
      t.same((await store.servers.get('old'))?.token, TOKEN, 'a legacy row still reads before it is sealed')

      t.equal(await secureStore(store, boxA), 2)
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
      const boxB = createSecretBox(randomBytes(32))
      t.equal(await store.servers.rotateSecrets(boxA, boxB), 6, 'two tokens, two current keys, two staged ones')
      t.equal(await store.servers.rotateSecrets(boxA, boxB), 0, 'a re-run changes nothing')
      t.match(await store.servers.get('old'), { name: 'old', unreadable: { code: 'SECRET_BOX_WRONG_KEY', keyId: boxB.keyId } }, 'the old key cannot open it: the row says so instead of failing the read')
      const rotated = await openTestStore(t, dialect, { database: store.database, secretBox: boxB })
      t.match((await rotated.servers.getKeys('old')), { current: { privateKeyPem: 'PRIVATE', certificatePem: 'CERT' }, staged: { privateKeyPem: 'PRIVATE2', certificatePem: 'CERT2', stagedAt: String } })
      t.equal(await rotated.servers.setHealth('nope', { termsNotSignedAt: null }), false)
      // A sealed value changed behind depgate's back is not "another key": that error still goes up.
      const tamper = new Kysely<any>(createDialect(store.database))
      const { token_sealed: sealed } = await tamper.selectFrom('servers').select('token_sealed').where('name', '=', 'older').executeTakeFirstOrThrow()
      await tamper.updateTable('servers').set({ token_sealed: `${String(sealed).slice(0, -4)}AAAA` }).where('name', '=', 'older').execute()
      await tamper.destroy()
      await t.rejects(rotated.servers.get('older'), { name: 'TokenError' })
      t.ok(await rotated.servers.delete('old'))
      t.same(await rotated.servers.getKeys('old'), {})
    })

    t.test('a store without a secret box refuses to touch tokens', async (t) => {
      const store = await openTestStore(t, dialect)
      await t.rejects(store.servers.upsert({ name: 'x', token: TOKEN }), /secret box is not configured/)
    })
  })
}
