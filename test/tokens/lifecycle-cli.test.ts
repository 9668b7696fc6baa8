/**
 * `depgate token import` and `depgate secrets rotate` through the CLI entry point, on a real
 * SQLite store, with the simulator standing in for Apple and openssl making the .p7m.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openSecureStore } from '../../src/bootstrap.js'
import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config.js'
import { startSimulator } from '../../src/simulator/index.js'
import { generateServerKeyPair } from '../../src/tokens/keypair.js'
import { cliIo } from '../helper.js'
import { encryptToken, NO_OPENSSL, TOKEN, TOKEN_JSON, TOKEN_READ, tempDir } from './helpers.js'

t.test('token import: .p7m with the staged key, renewal, refusal, force, decrypted JSON', { skip: NO_OPENSSL }, async (t) => {
  const sim = await startSimulator({ devices: 2 })
  t.teardown(() => sim.close())
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const pair = generateServerKeyPair({ serverName: 'acme' })
  const store = await openSecureStore(loadConfig(env))
  await store.servers.stageKey('acme', pair)
  await store.close()
  const certPath = join(dataDir, 'cert.pem')
  writeFileSync(certPath, pair.certificatePem)
  const p7m = encryptToken(dataDir, [certPath])

  const first = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', p7m, '--base-url', sim.url], first), 0, first.err.join(''))
  t.match(JSON.parse(first.out.join('')), { server: 'acme', created: true, token_expires_at: TOKEN_READ.access_token_expiry, account: { serverName: String } })
  t.notOk(first.out.join('').includes(TOKEN.consumer_secret))

  const again = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', p7m], again), 0, again.err.join(''))
  t.match(JSON.parse(again.out.join('')), { created: false })

  const otherFile = join(dataDir, 'other.json')
  writeFileSync(otherFile, JSON.stringify({ ...TOKEN, consumer_key: 'CK_other' }))
  const refused = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', otherFile, '--no-verify'], refused), 1)
  t.match(refused.err.join(''), /CONSUMER_KEY_MISMATCH/)
  const forced = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', otherFile, '--no-verify', '--force'], forced), 0)

  const jsonFile = join(dataDir, 'token.json')
  writeFileSync(jsonFile, TOKEN_JSON)
  const decrypted = cliIo(env)
  t.equal(await main(['token', 'import', 'plain', jsonFile, '--base-url', sim.url], decrypted), 0, decrypted.err.join(''))
  const wrong = cliIo(env)
  t.equal(await main(['token', 'import', 'beta', p7m], wrong), 1)
  t.match(wrong.err.join(''), /NO_KEY_PAIR/)
  const { access_token_expiry: _, ...noExpiry } = TOKEN
  const bareFile = join(dataDir, 'bare.json')
  writeFileSync(bareFile, JSON.stringify(noExpiry))
  const bare = cliIo(env)
  t.equal(await main(['token', 'import', 'bare', bareFile, '--no-verify'], bare), 0)
  t.match(JSON.parse(bare.out.join('')), { server: 'bare', token_expires_at: null, account: null })
  const badJson = join(dataDir, 'bad.json')
  writeFileSync(badJson, '{"consumer_key": "CK_x"}')
  const bad = cliIo(env)
  t.equal(await main(['token', 'import', 'plain', badJson], bad), 1)
  t.match(bad.err.join(''), /^depgate: the token's consumer_secret/)
  const usage = cliIo(env)
  t.equal(await main(['token', 'import', 'beta'], usage), 2)
  const missing = cliIo(env)
  t.equal(await main(['token', 'import', 'beta', join(dataDir, 'nope')], missing), 1)
  t.match(missing.err.join(''), /ENOENT/)
})

t.test('secrets rotate: key file, then a key from the environment', async (t) => {
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const store = await openSecureStore(loadConfig(env))
  await store.servers.upsert({ name: 'acme', token: TOKEN })
  await store.close()
  const keyFile = join(dataDir, 'secret.key')
  const oldKey = readFileSync(keyFile, 'utf8')

  const rotated = cliIo(env)
  t.equal(await main(['secrets', 'rotate'], rotated), 0, rotated.err.join(''))
  t.match(rotated.out.join(''), /Re-sealed 1 secret/)
  t.not(readFileSync(keyFile, 'utf8'), oldKey)
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  t.notOk(existsSync(`${keyFile}.new`))
  const reopened = await openSecureStore(loadConfig(env))
  t.same((await reopened.servers.get('acme'))?.token, TOKEN)
  await reopened.close()

  const next = randomBytes(32).toString('base64')
  const fromEnv = cliIo({ ...env, NEXT_KEY: next })
  t.equal(await main(['secrets', 'rotate', '--new-key-env', 'NEXT_KEY'], fromEnv), 0)
  t.match(fromEnv.out.join(''), /set DEPGATE_SECRET_KEY/)
  const withKey = await openSecureStore(loadConfig({ ...env, DEPGATE_SECRET_KEY: next }))
  t.same((await withKey.servers.get('acme'))?.token, TOKEN)
  await withKey.close()

  const third = randomBytes(32).toString('hex')
  const envToEnv = cliIo({ ...env, DEPGATE_SECRET_KEY: next, THIRD: third })
  t.equal(await main(['secrets', 'rotate', '--new-key-env', 'THIRD'], envToEnv), 0)
  t.match(envToEnv.out.join(''), /value of THIRD and restart/)

  const envOnly = cliIo({ ...env, DEPGATE_SECRET_KEY: next })
  t.equal(await main(['secrets', 'rotate'], envOnly), 2)
  t.match(envOnly.err.join(''), /--new-key-env/)
  const unset = cliIo({ ...env, DEPGATE_SECRET_KEY: next })
  t.equal(await main(['secrets', 'rotate', '--new-key-env', 'NOPE'], unset), 2)
  const same = cliIo({ ...env, DEPGATE_SECRET_KEY: next, SAME: next })
  t.equal(await main(['secrets', 'rotate', '--new-key-env', 'SAME'], same), 2)
  t.equal(await main(['secrets', 'nope'], cliIo(env)), 2)
})

t.test('secrets rotate finishes an interrupted run with its pending key; an insecure key file stops everything', async (t) => {
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const store = await openSecureStore(loadConfig(env))
  await store.servers.upsert({ name: 'acme', token: TOKEN })
  await store.close()
  const keyFile = join(dataDir, 'secret.key')
  const pending = randomBytes(32).toString('base64')
  writeFileSync(`${keyFile}.new`, `${pending}\n`, { mode: 0o600 })
  t.equal(await main(['secrets', 'rotate'], cliIo(env)), 0)
  t.equal(readFileSync(keyFile, 'utf8').trim(), pending, 'the pending key became the key')

  const { chmodSync } = await import('node:fs')
  chmodSync(keyFile, 0o644)
  const refused = cliIo(env)
  t.equal(await main(['secrets', 'rotate'], refused), 1)
  t.match(refused.err.join(''), /SECRET_KEY_FILE_INSECURE/)
  await t.rejects(openSecureStore(loadConfig(env)), { code: 'SECRET_KEY_FILE_INSECURE' })
})
