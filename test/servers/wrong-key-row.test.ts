/**
 * A server whose token one key cannot open (a replica still running with the previous key wrote
 * it after a rotation) must not take the others down at start: it reports SECRET_BOX_WRONG_KEY in
 * GET /v1/servers and answers 503 with the fix, the others serve. secret.key.old stays until every
 * secret opens with the current key, and goes at the start that finds it so.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { DEPSIM_CREDENTIALS, startSimulator } from '../../src/simulator/index.js'
import { startDepgate } from '../../src/start.js'
import { createStore } from '../../src/store/index.js'
import { generateServerKeyPair } from '../../src/tokens/keypair.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { randomAdminKey, tempDir } from '../helper.js'

const STALE = { consumer_key: 'CK_stale', consumer_secret: 'CS_stale_secret', access_token: 'AT_stale', access_secret: 'AS_stale_secret' }

t.test('one unreadable row: that server reports SECRET_BOX_WRONG_KEY, the others serve', async (t) => {
  const sim = await startSimulator({ devices: 2 })
  t.teardown(() => sim.close())
  const dataDir = tempDir(t)
  const adminKey = randomAdminKey()
  const config = loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR: 'off', DEPGATE_LOG_LEVEL: 'silent', DEPGATE_ADMIN_KEY: adminKey, DEPGATE_INVENTORY: 'false' })
  const first = await startDepgate({ config, out: () => {} })
  await first.app.depServers.put('good', { token: DEPSIM_CREDENTIALS, baseUrl: sim.url })
  await first.app.depServers.put('stale', { token: DEPSIM_CREDENTIALS, baseUrl: sim.url })
  await first.close()

  // What a replica still running with the previous key does after the rotation: seal with it.
  const previous = createSecretBox(randomBytes(32))
  const raw = await createStore({ dataDir, secretBox: previous })
  await raw.servers.upsert({ name: 'stale', token: STALE, baseUrl: sim.url })
  await raw.close()
  const oldKeyFile = join(dataDir, 'secret.key.old')
  writeFileSync(oldKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })

  const out: string[] = []
  const started = await startDepgate({ config, out: (l) => out.push(l) })
  t.teardown(() => started.close())
  const get = async (path: string) => await fetch(`${started.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })
  const list = await (await get('/v1/servers')).json() as { servers: Array<{ name: string, last_error: { code: string } | null }> }
  t.match(list.servers.map((s) => [s.name, s.last_error?.code ?? null]), [['good', null], ['stale', 'SECRET_BOX_WRONG_KEY']])
  t.equal((await get('/v1/servers/good/account')).status, 200, 'the other server serves')
  const refused = await get('/v1/servers/stale/account')
  t.equal(refused.status, 503)
  const problem = await refused.json() as { code: string, detail: string }
  t.equal(problem.code, 'SECRET_BOX_WRONG_KEY')
  t.equal(problem.detail, `The token of DEP server "stale" is sealed with another secret key (id ${previous.keyId}) than this depgate's: a depgate still running with the previous key stored it after the secrets were rotated. Restart every depgate replica with the current key, then store this server's token again (PUT /v1/servers/stale/token, or depgate token import).`)
  t.notMatch(problem.detail, /secrets rotate/, 'never "rotate again"')
  t.notMatch(JSON.stringify(list), /CS_stale_secret|AS_stale_secret/)
  t.ok(existsSync(oldKeyFile), 'secret.key.old stays while a secret does not open')

  // The fix named: store the token again. A key pair the stale replica staged still keeps the old key file.
  await started.app.depServers.put('stale', { token: DEPSIM_CREDENTIALS, baseUrl: sim.url })
  await started.close()
  const stager = await createStore({ dataDir, secretBox: previous })
  await stager.servers.stageKey('good', generateServerKeyPair({ serverName: 'good' }))
  await stager.close()
  const staged = await startDepgate({ config, out: () => {} })
  t.ok(existsSync(oldKeyFile), 'secret.key.old stays while a private key does not open')
  await staged.app.depServers.stageCertificate('good') // staged again, under the current key
  await staged.close()
  const confirmed: string[] = []
  const again = await startDepgate({ config, out: (l) => confirmed.push(l) })
  t.teardown(() => again.close())
  t.notOk(existsSync(oldKeyFile), 'removed once every secret opens')
  t.match(confirmed[0], `the rotation is complete, and ${oldKeyFile} (the previous key) was removed`)
  t.notOk(out.some((l) => l.includes('rotation is complete')))
  t.equal(readFileSync(join(dataDir, 'secret.key'), 'utf8').length > 0, true)
})

t.test('the embedded simulator never replaces a default server another depgate is using', async (t) => {
  const dataDir = tempDir(t)
  const config = loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR_DEVICES: '1', DEPGATE_LOG_LEVEL: 'silent', DEPGATE_ADMIN_KEY: randomAdminKey(), DEPGATE_INVENTORY: 'false' })
  const first = await startDepgate({ config, out: () => {} })
  const theirs = first.simulatorUrl
  t.ok(theirs)
  // Another replica syncs `default` through its simulator (its live lease in the store).
  t.ok(await first.app.store.mirror.acquireLease('default', 'replica-a:7:abcd', 60_000))
  await first.close()
  const second = await startDepgate({ config, out: () => {} })
  t.teardown(() => second.close())
  t.equal(second.simulatorUrl, undefined, 'no second simulator')
  t.equal(second.app.depServers.list().find((s) => s.name === 'default')?.base_url, theirs, 'default keeps its address')
})
