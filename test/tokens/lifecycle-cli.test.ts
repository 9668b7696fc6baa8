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
  // PUT …/token's answer, field for field: the server as GET /v1/servers shows it.
  const imported = JSON.parse(first.out.join(''))
  t.match(imported, { created: true, key: 'staged', server: { name: 'acme', base_url: sim.url, token_expires_at: TOKEN_READ.access_token_expiry, account: { server_name: String, org_name: String, checked_at: String } } })
  t.same(Object.keys(imported.server.account).sort(), ['checked_at', 'org_name', 'server_name', 'server_uuid'])
  t.notOk(first.out.join('').includes(TOKEN.consumer_secret))

  const again = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', p7m], again), 0, again.err.join(''))
  t.match(JSON.parse(again.out.join('')), { created: false, key: 'current' })

  const otherFile = join(dataDir, 'other.json')
  writeFileSync(otherFile, JSON.stringify({ ...TOKEN, consumer_key: 'CK_other' }))
  const refused = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', otherFile, '--no-verify'], refused), 1)
  // The remedy is named as this command spells it, not as the API does (force=true).
  t.equal(refused.err.join(''), 'depgate: CONSUMER_KEY_MISMATCH: this token belongs to a different Apple MDM server than the one stored under this name (its consumer key differs); check the name, or add --force to replace it on purpose\n')
  const forced = cliIo(env)
  t.equal(await main(['token', 'import', 'acme', otherFile, '--no-verify', '--force'], forced), 0)

  // Apple says no: the token's fault, skippable with --no-verify.
  const rejected = cliIo(env)
  t.equal(await main(['token', 'import', 'stranger', otherFile, '--base-url', sim.url], rejected), 1)
  t.match(rejected.err.join(''), /^depgate: TOKEN_VERIFY_FAILED: Apple did not accept this token \(\w+\); add --no-verify to store it without this check\n$/)
  // Apple unreachable: not the token's fault, and said so (it used to read "did not accept … (NETWORK_ERROR)").
  const unreachable = cliIo(env)
  t.equal(await main(['token', 'import', 'stranger', otherFile, '--base-url', 'http://127.0.0.1:9'], unreachable), 1)
  t.equal(unreachable.err.join(''), 'depgate: TOKEN_VERIFY_UNAVAILABLE: Apple could not be reached to check the token (NETWORK_ERROR); try again, or add --no-verify to store it without this check\n')
  t.equal(unreachable.out.join(''), '')

  const jsonFile = join(dataDir, 'token.json')
  writeFileSync(jsonFile, TOKEN_JSON)
  const decrypted = cliIo(env)
  t.equal(await main(['token', 'import', 'plain', jsonFile, '--base-url', sim.url], decrypted), 0, decrypted.err.join(''))
  const plain = JSON.parse(decrypted.out.join(''))
  t.match(plain, { created: true, server: { name: 'plain', account: { server_name: String } } })
  t.notOk('key' in plain, 'a decrypted file was opened by no key pair')
  const wrong = cliIo(env)
  t.equal(await main(['token', 'import', 'beta', p7m], wrong), 1)
  t.match(wrong.err.join(''), /NO_KEY_PAIR/)
  const { access_token_expiry: _, ...noExpiry } = TOKEN
  const bareFile = join(dataDir, 'bare.json')
  writeFileSync(bareFile, JSON.stringify(noExpiry))
  const bare = cliIo(env)
  t.equal(await main(['token', 'import', 'bare', bareFile, '--no-verify'], bare), 0)
  t.match(JSON.parse(bare.out.join('')), { server: { name: 'bare', token_expires_at: null, token_days_left: null, account: null } })
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
  t.equal(await main(['secrets', 'rotate', '--yes'], rotated), 0, rotated.err.join(''))
  t.match(rotated.out.join(''), /Re-sealed 1 secret/)
  t.not(readFileSync(keyFile, 'utf8'), oldKey)
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  t.notOk(existsSync(`${keyFile}.new`))
  const reopened = await openSecureStore(loadConfig(env))
  t.same((await reopened.servers.get('acme'))?.token, TOKEN)
  await reopened.close()

  const next = randomBytes(32).toString('base64')
  const fromEnv = cliIo({ ...env, NEXT_KEY: next })
  t.equal(await main(['secrets', 'rotate', '--yes', '--new-key-env', 'NEXT_KEY'], fromEnv), 0)
  t.match(fromEnv.out.join(''), /set DEPGATE_SECRET_KEY/)
  const withKey = await openSecureStore(loadConfig({ ...env, DEPGATE_SECRET_KEY: next }))
  t.same((await withKey.servers.get('acme'))?.token, TOKEN)
  await withKey.close()

  const third = randomBytes(32).toString('hex')
  const envToEnv = cliIo({ ...env, DEPGATE_SECRET_KEY: next, THIRD: third })
  t.equal(await main(['secrets', 'rotate', '--yes', '--new-key-env', 'THIRD'], envToEnv), 0)
  t.match(envToEnv.out.join(''), /value of THIRD and restart/)

  const envOnly = cliIo({ ...env, DEPGATE_SECRET_KEY: next })
  t.equal(await main(['secrets', 'rotate', '--yes'], envOnly), 2)
  t.match(envOnly.err.join(''), /--new-key-env/)
  const unset = cliIo({ ...env, DEPGATE_SECRET_KEY: next })
  t.equal(await main(['secrets', 'rotate', '--yes', '--new-key-env', 'NOPE'], unset), 2)
  const same = cliIo({ ...env, DEPGATE_SECRET_KEY: next, SAME: next })
  t.equal(await main(['secrets', 'rotate', '--yes', '--new-key-env', 'SAME'], same), 2)
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
  t.equal(await main(['secrets', 'rotate', '--yes'], cliIo(env)), 0)
  t.equal(readFileSync(keyFile, 'utf8').trim(), pending, 'the pending key became the key')

  const { chmodSync } = await import('node:fs')
  chmodSync(keyFile, 0o644)
  const refused = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes'], refused), 1)
  t.match(refused.err.join(''), /SECRET_KEY_FILE_INSECURE/)
  await t.rejects(openSecureStore(loadConfig(env)), { code: 'SECRET_KEY_FILE_INSECURE' })
})
