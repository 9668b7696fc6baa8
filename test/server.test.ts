import t from 'tap'
import { buildTestApp } from './helper.js'
import { buildServer, genReqId, REDACT_PATHS } from '../src/server.js'
import { loadConfig } from '../src/config.js'
import { tempDir } from './helper.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'

t.test('request ids: a plain incoming X-Request-Id is kept, anything else replaced', async (t) => {
  t.equal(genReqId({ headers: { 'x-request-id': 'abc-123' } }), 'abc-123')
  t.match(genReqId({ headers: { 'x-request-id': 'has spaces\nand newlines' } }), /^[0-9a-f-]{36}$/)
  t.match(genReqId({ headers: {} }), /^[0-9a-f-]{36}$/)
  const { app } = await buildTestApp(t, { simulator: false })
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-42' } })
  t.equal(res.headers['x-request-id'], 'trace-42')
})

t.test('logs never carry the admin key, API keys, authorization or token secrets', async (t) => {
  const { app, adminKey, auth, logs, createKey } = await buildTestApp(t, { captureLogs: true, env: { DEPGATE_LOG_LEVEL: 'trace' } })
  const key = await createKey('admin')
  await app.inject({ url: '/v1/servers', headers: auth() })
  await app.inject({ url: '/v1/servers', headers: auth(key) })
  await app.inject({ url: '/v1/servers', headers: auth(adminKey + 'x') })
  await app.inject({ url: '/v1/servers/default/account', headers: auth() })
  const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: 'l', scope: 'read' } })
  await app.inject({ method: 'PUT', url: '/v1/servers/other', headers: auth(), payload: { token: { consumer_key: 'CK_1', consumer_secret: 'CS_topsecret', access_token: 'AT_topsecret', access_secret: 'AS_topsecret' } } })
  // Something a future route might log by mistake: the redaction must catch it.
  app.log.info({ token: DEPSIM_CREDENTIALS, access_secret: 'AS_topsecret', req: { headers: { authorization: `Bearer ${adminKey}` } } }, 'careless')
  const all = logs.join('\n')
  t.ok(logs.length > 10, 'logs were captured')
  t.match(all, /"reqId"/, 'request ids in logs')
  for (const secret of [adminKey, key, created.json().key, 'topsecret', DEPSIM_CREDENTIALS.consumer_secret, DEPSIM_CREDENTIALS.access_secret, DEPSIM_CREDENTIALS.access_token, 'Bearer ']) {
    t.notOk(all.includes(secret), `no ${secret.slice(0, 6)}… in logs`)
  }
  t.match(all, /\[REDACTED\]/)
  t.ok(REDACT_PATHS.includes('req.headers.authorization'))
})

t.test('without a given store the app opens one under the data dir and closes it', async (t) => {
  const dataDir = tempDir(t)
  const app = await buildServer(loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_LOG_LEVEL: 'silent' }))
  await app.store.ping()
  t.same(app.depServers.list(), [])
  await app.close()
  await t.rejects(app.store.ping(), 'closed with the app')
  await t.rejects(buildServer(loadConfig({ DEPGATE_DATABASE_URL: 'postgres://127.0.0.1/x', DEPGATE_LOG_LEVEL: 'silent' })), /not supported yet/)
})
