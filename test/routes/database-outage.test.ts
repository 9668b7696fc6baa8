/**
 * A real PostgreSQL outage under a running app: the app's role is refused new connections
 * (CONNECTION LIMIT 0) and its open sessions are terminated, the way a database restart or a full
 * connection table looks from depgate. Reads answer 503 DATABASE_UNAVAILABLE with Retry-After
 * (never a 500), readiness says why, /metrics still answers (without the mirror's gauges, whose
 * status read fails), and everything recovers once the database takes connections again.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { createStore } from '../../src/store/index.js'
import { createTestSchema, TEST_POSTGRES_URL } from '../databases.js'
import { randomAdminKey, tempDir } from '../helper.js'

async function admin (sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

t.test('a PostgreSQL outage answers 503 DATABASE_UNAVAILABLE, and the app recovers with the database', async (t) => {
  const role = `depgate_t_role_${randomBytes(4).toString('hex')}`
  await admin(`create role ${role} login`)
  // Registered first, so it runs last: after the app has closed and the schema it owns is gone.
  t.teardown(() => admin(`drop role if exists ${role}`))
  const { schema, url } = await createTestSchema(t)
  await admin(`alter schema ${schema} owner to ${role}`)
  const asRole = new URL(url)
  asRole.username = role
  const store = await createStore({ databaseUrl: asRole.href, connectTimeoutMs: 2000 })
  t.teardown(() => store.close())
  const adminKey = randomAdminKey()
  const app = await buildServer(loadConfig({ DEPGATE_DATA_DIR: tempDir(t), DEPGATE_ADMIN_KEY: adminKey, DEPGATE_LOG_LEVEL: 'silent', DEPGATE_INVENTORY: 'true' }), { store })
  t.teardown(() => app.close())
  const headers = { authorization: `Bearer ${adminKey}` }
  t.equal((await app.inject({ url: '/v1/keys', headers })).statusCode, 200, 'the database answers')

  await admin(`alter role ${role} connection limit 0`)
  await admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`)

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

  await admin(`alter role ${role} connection limit -1`)
  t.equal((await app.inject({ url: '/v1/keys', headers })).statusCode, 200, 'back once the database takes connections')
  t.equal((await app.inject('/readyz')).statusCode, 200)
})
