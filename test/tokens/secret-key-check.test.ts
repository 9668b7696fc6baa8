/**
 * Every replica (and the CLI) must seal and open secrets with the same key. The database keeps a
 * check value of its key (an HMAC of a fixed label, never the key): a replica, a restart or a CLI
 * command with another key is refused at start with a message naming DEPGATE_SECRET_KEY, before
 * it can overwrite a token the others could then no longer open. A database from before the
 * check proves the key on a secret it already holds. On SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kysely } from 'kysely'
import t, { type Test } from 'tap'
import { openSecureStore, openStoreWithBox } from '../../src/bootstrap.js'
import { main } from '../../src/cli.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { startDepgate, type StartedDepgate } from '../../src/start.js'
import { createDialect } from '../../src/store/dialect.js'
import { createStore } from '../../src/store/index.js'
import { createSecretBox, secretKeyCheck } from '../../src/tokens/secret-box.js'
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from '../databases.js'
import { cliIo, randomAdminKey, tempDir } from '../helper.js'
import { TOKEN } from './helpers.js'

const OTHER_TOKEN = { ...TOKEN, consumer_key: 'CK_replica_b_file', access_token: 'AT_replica_b_file' }

/** A replica's environment: its own data dir on PostgreSQL; on SQLite the database lives in the data dir, so they share it. */
function replicaEnv (t: Test, database: TestDatabase, key: Buffer | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const dataDir = 'dataDir' in database ? database.dataDir : tempDir(t)
  return {
    DEPGATE_DATA_DIR: dataDir,
    ...('databaseUrl' in database ? { DEPGATE_DATABASE_URL: database.databaseUrl } : {}),
    ...(key === undefined ? {} : { DEPGATE_SECRET_KEY: key.toString('base64') }),
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_PORT: '0',
    DEPGATE_HOST: '127.0.0.1',
    DEPGATE_LOG_LEVEL: 'silent',
    DEPGATE_ADMIN_KEY: randomAdminKey(),
    ...extra
  }
}

async function start (t: Test, env: Record<string, string>): Promise<StartedDepgate> {
  const started = await startDepgate({ config: loadConfig(env), out: () => {} })
  t.teardown(() => started.close())
  return started
}

/** What a refusal must say, and must never say. */
function checkRefusal (t: Test, err: unknown, keys: Buffer[]): void {
  t.type(err, ConfigError)
  t.match(err, { code: 'SECRET_BOX_WRONG_KEY' })
  const message = (err as Error).message
  t.match(message, /^Invalid configuration: DEPGATE_SECRET_KEY does not match the key .* same on every replica/)
  for (const key of keys) {
    for (const encoding of ['base64', 'base64url', 'hex'] as const) t.notOk(message.includes(key.toString(encoding).slice(0, 16)), `no key in the message (${encoding})`)
  }
}

async function refusal (promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  return undefined
}

for (const dialect of DIALECTS) {
  t.test(`${dialect}: a replica or a restart with another key is refused, and the tokens stay readable`, async (t) => {
    const database = await createTestDatabase(t, dialect)
    const keyA = randomBytes(32)
    const keyB = randomBytes(32)
    const a = await start(t, replicaEnv(t, database, keyA))
    await a.app.depServers.put('default', { token: TOKEN })
    // One server per SQLite data dir (its lock): there, B is A restarted with another key.
    if (dialect === 'sqlite') await a.close()

    // Replica B (or A restarted) with another key and its own token file for `default`.
    const dirB = tempDir(t)
    const tokenFile = join(dirB, 'token.json')
    writeFileSync(tokenFile, JSON.stringify(OTHER_TOKEN))
    checkRefusal(t, await refusal(start(t, replicaEnv(t, database, keyB, { DEPGATE_TOKEN_FILE: tokenFile }))), [keyA, keyB])
    t.same((await (await open(t, replicaEnv(t, database, keyA))).servers.get('default'))?.token, TOKEN, 'the refused replica overwrote nothing: A still opens its token')
    checkRefusal(t, await refusal(start(t, replicaEnv(t, database, keyB))), [keyA, keyB])

    // The CLI is held to the same key.
    const cli = cliIo(replicaEnv(t, database, keyB))
    t.equal(await main(['keys', 'list'], cli), 2)
    t.match(cli.err.join(''), /DEPGATE_SECRET_KEY does not match/)

    // An app that opens its own store (no store handed to it) checks the key as it loads it.
    checkRefusal(t, await refusal(buildServer(loadConfig(replicaEnv(t, database, keyB)))), [keyA, keyB])

    const again = await start(t, replicaEnv(t, database, keyA))
    t.same(again.app.depServers.list().map((s) => s.name), ['default'], 'the same key starts')
  })
}

/** A database as a depgate from before 0006 left it: its check row removed. */
async function forgetCheck (database: TestDatabase): Promise<void> {
  const raw = new Kysely<any>(createDialect(database))
  await raw.deleteFrom('secret_key_check').execute()
  await raw.destroy()
}

async function storedCheck (database: TestDatabase): Promise<string[]> {
  const raw = new Kysely<any>(createDialect(database))
  const rows = await raw.selectFrom('secret_key_check').select('check_value').execute() as Array<{ check_value: string }>
  await raw.destroy()
  return rows.map((r) => r.check_value)
}

async function open (t: Test, env: Record<string, string>) {
  const store = await openSecureStore(loadConfig(env))
  t.teardown(() => store.close())
  return store
}

function upgradePath (dialect: TestDialect): void {
  t.test(`${dialect}: a database from before the check proves the key on a secret it holds`, async (t) => {
    const database = await createTestDatabase(t, dialect)
    const keyA = randomBytes(32)
    const keyB = randomBytes(32)
    const first = await open(t, replicaEnv(t, database, keyA))
    t.same(await storedCheck(database), [secretKeyCheck(keyA)], 'a new database records its first key')
    await first.servers.stageKey('acme', { privateKeyPem: 'PRIVATE', certificatePem: 'CERT' })
    await forgetCheck(database)

    // Only a sealed private key so far: that is what proves the key.
    checkRefusal(t, await refusal(open(t, replicaEnv(t, database, keyB))), [keyA, keyB])
    t.same(await storedCheck(database), [], 'a refused key records nothing')
    await open(t, replicaEnv(t, database, keyA))
    t.same(await storedCheck(database), [secretKeyCheck(keyA)], 'the right key is recorded')

    await first.servers.upsert({ name: 'acme', token: TOKEN })
    await forgetCheck(database)
    checkRefusal(t, await refusal(open(t, replicaEnv(t, database, keyB))), [keyA, keyB])
    await open(t, replicaEnv(t, database, keyA))
    checkRefusal(t, await refusal(open(t, replicaEnv(t, database, keyB))), [keyA, keyB])

    // A token altered in the database is not a question of keys: that error goes up as it is.
    await forgetCheck(database)
    const raw = new Kysely<any>(createDialect(database))
    const { token_sealed: sealed } = await raw.selectFrom('servers').select('token_sealed').where('name', '=', 'acme').executeTakeFirstOrThrow() as { token_sealed: string }
    const parts = sealed.split('.')
    parts[4] = Buffer.from('tampered').toString('base64url')
    await raw.updateTable('servers').set({ token_sealed: parts.join('.') }).where('name', '=', 'acme').execute()
    await raw.destroy()
    await t.rejects(open(t, replicaEnv(t, database, keyA)), { code: 'SECRET_BOX_TAMPERED' })
  })

  t.test(`${dialect}: two replicas starting together on a new database with different keys: one wins`, async (t) => {
    const database = await createTestDatabase(t, dialect)
    const keys = [randomBytes(32), randomBytes(32)]
    // Migrated first: the race under test is the key check's, not the migrations'.
    await (await createStore(database)).close()
    const results = await Promise.allSettled(keys.map((key) => open(t, replicaEnv(t, database, key))))
    t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
    const winner = keys[results.findIndex((r) => r.status === 'fulfilled')]
    t.same(await storedCheck(database), [secretKeyCheck(winner)])
    checkRefusal(t, results.find((r) => r.status === 'rejected')?.reason, keys)
  })
}

for (const dialect of DIALECTS) upgradePath(dialect)

t.test('secrets rotate records the new key; an interrupted rotation is finished by running it again', async (t) => {
  const database = await createTestDatabase(t, 'sqlite')
  const env = replicaEnv(t, database, undefined)
  const store = await openSecureStore(loadConfig(env))
  await store.servers.upsert({ name: 'acme', token: TOKEN })
  const keyFile = join(env.DEPGATE_DATA_DIR, 'secret.key')
  const oldKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')
  // Interrupted: the database is re-sealed and committed, but the new key never replaced the file.
  const pending = randomBytes(32)
  writeFileSync(`${keyFile}.new`, `${pending.toString('base64')}\n`, { mode: 0o600 })
  await store.servers.rotateSecrets(createSecretBox(oldKey), createSecretBox(pending))
  await store.close()
  t.same(await storedCheck(database), [secretKeyCheck(pending)])
  const refused = await refusal(open(t, env))
  checkRefusal(t, refused, [oldKey, pending])
  // The fix named is the move the rotation did not make, not another rotation.
  t.match((refused as Error).message, `came from ${keyFile} (DEPGATE_SECRET_KEY is not set); it refuses to start rather than seal tokens the other replicas cannot open. depgate secrets rotate re-sealed the secrets under ${keyFile}.new and stopped before moving it into place: run mv ${keyFile}.new ${keyFile}, then start every replica with that key.`)

  const rerun = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes'], rerun), 0, rerun.err.join(''))
  t.match(rerun.out.join(''), /Re-sealed 0 secret/)
  t.same((await (await open(t, env)).servers.get('acme'))?.token, TOKEN, 'the pending key is now the key')

  // A database sealed with a third key: rotating from the file's key would be wrong.
  const third = randomBytes(32)
  const elsewhere = await openStoreWithBox(loadConfig({ ...env, DEPGATE_SECRET_KEY: third.toString('hex') }))
  t.equal(elsewhere.keyCheck, 'mismatched', 'openStoreWithBox reports, and leaves the refusal to its caller')
  await elsewhere.store.close()
  const wrong = cliIo({ ...env, DEPGATE_SECRET_KEY: third.toString('hex'), NEXT: randomBytes(32).toString('hex') })
  t.equal(await main(['secrets', 'rotate', '--yes', '--new-key-env', 'NEXT'], wrong), 1)
  t.match(wrong.err.join(''), /SECRET_BOX_WRONG_KEY: this database's secrets are sealed with neither the current secret key/)
  t.same((await (await open(t, env)).servers.get('acme'))?.token, TOKEN, 'nothing was re-sealed')
})

t.test('the key check is an HMAC of a fixed label: stable per key, different across keys, never the key', async (t) => {
  const key = randomBytes(32)
  const box = createSecretBox(key)
  t.equal(box.keyCheck, secretKeyCheck(key))
  t.equal(box.keyCheck, createSecretBox(Buffer.from(key)).keyCheck)
  t.not(box.keyCheck, createSecretBox(randomBytes(32)).keyCheck)
  t.match(box.keyCheck, /^[A-Za-z0-9_-]{43}$/)
  for (const encoding of ['base64', 'base64url', 'hex'] as const) t.notOk(box.keyCheck.includes(key.toString(encoding).slice(0, 8)))
})

t.test('a secret.key that is not the database\'s, with no rotation under way: the fix is to restart with the right key', async (t) => {
  const database = await createTestDatabase(t, 'sqlite')
  const env = replicaEnv(t, database, undefined)
  const store = await openSecureStore(loadConfig(env))
  await store.servers.upsert({ name: 'acme', token: TOKEN })
  await store.close()
  const keyFile = join(env.DEPGATE_DATA_DIR, 'secret.key')
  const oldKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')
  const other = randomBytes(32)
  // Replaced by another key, and no secret.key.new beside it.
  writeFileSync(keyFile, `${other.toString('base64')}\n`, { mode: 0o600 })
  const refused = await refusal(open(t, env))
  checkRefusal(t, refused, [oldKey, other])
  t.match((refused as Error).message, /restart every replica and the CLI with the new key\.$/)
  t.notMatch((refused as Error).message, /\.new/)
})
