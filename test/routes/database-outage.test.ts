/**
 * A real PostgreSQL outage under a running app: the app's role is refused new connections
 * (CONNECTION LIMIT 0) and its open sessions are terminated, the way a database restart or a full
 * connection table looks from depgate. Reads answer 503 DATABASE_UNAVAILABLE with Retry-After
 * (never a 500), readiness says why, /metrics still answers (without the mirror's gauges, whose
 * status read fails), and everything recovers once the database takes connections again.
 */
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { createStore } from '../../src/store/index.js'
import { adminQuery, createRoleSchema } from '../databases.js'
import { randomAdminKey, tempDir } from '../helper.js'

t.test('a PostgreSQL outage answers 503 DATABASE_UNAVAILABLE, and the app recovers with the database', async (t) => {
  const { role, url } = await createRoleSchema(t)
  const store = await createStore({ databaseUrl: url, connectTimeoutMs: 2000 })
  t.teardown(() => store.close())
  const adminKey = randomAdminKey()
  const app = await buildServer(loadConfig({ DEPGATE_DATA_DIR: tempDir(t), DEPGATE_ADMIN_KEY: adminKey, DEPGATE_LOG_LEVEL: 'silent', DEPGATE_MIRROR: 'true' }), { store })
  t.teardown(() => app.close())
  const headers = { authorization: `Bearer ${adminKey}` }
  t.equal((await app.inject({ url: '/v1/keys', headers })).statusCode, 200, 'the database answers')

  await adminQuery(`alter role ${role} connection limit 0`)
  await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`)

  const keys = await app.inject({ url: '/v1/keys', headers })
  t.equal(keys.statusCode, 503)
  t.match(keys.headers['content-type'], /application\/problem\+json/)
  t.equal(keys.headers['retry-after'], '5')
  t.match(keys.json(), { code: 'DATABASE_UNAVAILABLE', status: 503, detail: /database is not answering right now/ })
  t.notMatch(keys.body, new RegExp(role), 'the detail names no role, host or URL')

  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { checks: { store: 'failed' } })
  const metrics = await app.inject('/metrics')
  t.equal(metrics.statusCode, 200, 'metrics still answer')
  t.match(metrics.body, /depgate_http_requests_total\{method="GET",route="\/v1\/keys",status="503"\} 1/, 'the failed request is counted')

  await adminQuery(`alter role ${role} connection limit -1`)
  t.equal((await app.inject({ url: '/v1/keys', headers })).statusCode, 200, 'back once the database takes connections')
  t.equal((await app.inject('/readyz')).statusCode, 200)
})
