import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { displayHost, startDepgate } from '../src/start.js'
import { openSecureStore } from '../src/bootstrap.js'
import { logCapture, randomAdminKey, tempDir, until } from './helper.js'

function env (dataDir: string, extra: Record<string, string> = {}) {
  return loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR_DEVICES: '5', DEPGATE_LOG_LEVEL: 'silent', ...extra })
}

t.test('demo default: no token → embedded simulator, first admin key printed and saved 0600', async (t) => {
  const dataDir = tempDir(t)
  const out: string[] = []
  const logs = logCapture()
  const started = await startDepgate({ config: env(dataDir, { DEPGATE_LOG_LEVEL: 'info' }), out: (l) => out.push(l), logStream: logs.stream })
  t.teardown(() => started.close())
  t.ok(started.simulatorUrl, 'simulator started')
  t.ok(started.adminKey)
  const keyFile = join(dataDir, 'admin-key')
  t.equal(readFileSync(keyFile, 'utf8'), `${started.adminKey}\n`)
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  const banner = out.join('\n')
  t.ok(banner.includes(started.adminKey ?? '-'), 'key printed once')
  t.equal(banner.split(started.adminKey ?? '-').length, 2, 'exactly once')
  t.match(banner, /embedded simulator/)
  t.match(banner, new RegExp(`curl -H "Authorization: Bearer \\$\\(cat ${keyFile}\\)" ${started.url}/v1/servers`))
  t.notOk(logs.lines.join('\n').includes(started.adminKey ?? '-'), 'never in the logs')

  const res = await fetch(`${started.url}/v1/servers/default/devices`, { headers: { authorization: `Bearer ${started.adminKey}` } })
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { count: number }).count, 5)
  t.match(banner, /Org "default" is the simulator's organisation \(Apple Business Manager API\), linked to DEP server "default"/)
})

t.test('the demo org: linked at the first start, the same account and link after a restart', async (t) => {
  const dataDir = tempDir(t)
  const get = async (url: string, key: string, path: string): Promise<any> => await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json()
  const first = await startDepgate({ config: env(dataDir), out: () => {} })
  const key = first.adminKey as string
  const org = await get(first.url, key, '/v1/orgs/default')
  t.match(org, { name: 'default', client_id: /^BUSINESSAPI\./, base_url: first.simulatorUrl })
  const server = await get(first.url, key, '/v1/servers/default')
  t.match(server, { org: 'default', org_mdm_server: /^[0-9A-F]{32}$/ })
  await first.close()

  const out: string[] = []
  const second = await startDepgate({ config: env(dataDir), out: (l) => out.push(l) })
  t.teardown(() => second.close())
  t.match(out.join('\n'), /Org "default"/)
  t.match(await get(second.url, key, '/v1/orgs/default'), { client_id: org.client_id, base_url: second.simulatorUrl }, 'the same account, at the new simulator')
  t.match(await get(second.url, key, '/v1/servers/default'), { org: 'default', org_mdm_server: server.org_mdm_server })
  // The refresher reads the org from the new simulator with the account registered there again.
  await until('the org mirror to be refreshed', async () => (await get(second.url, key, '/v1/orgs/default')).mirror.last_seq > 0)
  const serial = (await get(second.url, key, '/v1/servers/default/devices')).devices[0].serial_number as string
  const device = await get(second.url, key, `/v1/servers/default/devices/${serial}`)
  t.match(device, { serial_number: serial, org: { name: 'default', mdm_server: { id: server.org_mdm_server, is_this_server: true } } })
})

t.test('second start: no new key; a stored real default turns the simulator off in auto', async (t) => {
  const dataDir = tempDir(t)
  const first = await startDepgate({ config: env(dataDir), out: () => {} })
  await first.close()
  const store = await openSecureStore(env(dataDir))
  await store.servers.upsert({ name: 'default', token: { consumer_key: 'CK_real', consumer_secret: 'CS_r', access_token: 'AT_r', access_secret: 'AS_r' } })
  await store.close()
  const out: string[] = []
  const second = await startDepgate({ config: env(dataDir), out: (l) => out.push(l) })
  t.teardown(() => second.close())
  t.equal(second.adminKey, undefined)
  t.equal(second.simulatorUrl, undefined)
  t.notMatch(out.join('\n'), /Admin API key/)
})

t.test('a token file serves Apple; simulator "on" runs beside it as "simulator"', async (t) => {
  const dataDir = tempDir(t)
  const tokenFile = join(dataDir, 'token.json')
  writeFileSync(tokenFile, JSON.stringify({ consumer_key: 'CK_f', consumer_secret: 'CS_f', access_token: 'AT_f', access_secret: 'AS_f' }))
  const adminKey = randomAdminKey()
  const out: string[] = []
  const started = await startDepgate({
    config: env(dataDir, { DEPGATE_TOKEN_FILE: tokenFile, DEPGATE_DEP_URL: 'http://127.0.0.1:9', DEPGATE_SIMULATOR: 'on', DEPGATE_ADMIN_KEY: adminKey, DEPGATE_HOST: '0.0.0.0' }),
    out: (l) => out.push(l)
  })
  t.teardown(() => started.close())
  t.equal(started.adminKey, undefined, 'DEPGATE_ADMIN_KEY given: nothing generated')
  t.match(started.url, /^http:\/\/127\.0\.0\.1:/)
  t.match(out.join('\n'), /\$DEPGATE_ADMIN_KEY/)
  const res = await fetch(`${started.url}/v1/servers`, { headers: { authorization: `Bearer ${adminKey}` } })
  t.match(await res.json(), { servers: [{ name: 'default', base_url: 'http://127.0.0.1:9' }, { name: 'simulator', base_url: started.simulatorUrl }] })
})

t.test('token file problems name DEPGATE_TOKEN_FILE; off means off; a busy port fails cleanly', async (t) => {
  const dataDir = tempDir(t)
  await t.rejects(startDepgate({ config: env(dataDir, { DEPGATE_TOKEN_FILE: join(dataDir, 'missing.json') }), out: () => {} }), /DEPGATE_TOKEN_FILE cannot be read: ENOENT/)
  const bad = join(dataDir, 'bad.json')
  writeFileSync(bad, '{"consumer_key": "CK_1"}')
  await t.rejects(startDepgate({ config: env(dataDir, { DEPGATE_TOKEN_FILE: bad }), out: () => {} }), /DEPGATE_TOKEN_FILE is not a usable decrypted server token: the token's consumer_secret is required/)
  const off = await startDepgate({ config: env(dataDir, { DEPGATE_SIMULATOR: 'off' }), out: () => {} })
  t.teardown(() => off.close())
  t.equal(off.simulatorUrl, undefined)
  const port = new URL(off.url).port
  await t.rejects(startDepgate({ config: env(tempDir(t), { DEPGATE_SIMULATOR: 'off', DEPGATE_PORT: port }), out: () => {} }),
    { name: 'StartRefusal', message: `DEPGATE_HOST=127.0.0.1 DEPGATE_PORT=${port}: the address is already in use (another program, or another depgate, listens there); stop it, or set DEPGATE_PORT to a free port` })
})

t.test('auto with a token file: Apple only, no simulator; an unreachable PostgreSQL stops start-up', async (t) => {
  const dataDir = tempDir(t)
  const tokenFile = join(dataDir, 'token.txt')
  writeFileSync(tokenFile, `-----BEGIN MESSAGE-----\n${JSON.stringify({ consumer_key: 'CK_f', consumer_secret: 'CS_f', access_token: 'AT_f', access_secret: 'AS_f' })}\n-----END MESSAGE-----\n`)
  const started = await startDepgate({ config: env(dataDir, { DEPGATE_TOKEN_FILE: tokenFile, DEPGATE_ADMIN_KEY: randomAdminKey() }), out: () => {} })
  t.teardown(() => started.close())
  t.equal(started.simulatorUrl, undefined)
  t.same(started.app.depServers.list().map((s) => [s.name, s.base_url]), [['default', 'https://mdmenrollment.apple.com']])
  await t.rejects(startDepgate({ config: env(dataDir, { DEPGATE_DATABASE_URL: 'postgres://depgate:s3cret@127.0.0.1:1/x' }), out: () => {} }), /^cannot connect to PostgreSQL at postgres:\/\/depgate:\*\*\*@127\.0\.0\.1:1\/x: /)
})

t.test('display host', async (t) => {
  t.equal(displayHost('0.0.0.0'), '127.0.0.1')
  t.equal(displayHost('::'), '127.0.0.1')
  t.equal(displayHost('::1'), '[::1]')
  t.equal(displayHost('depgate.internal'), 'depgate.internal')
})
