/**
 * Requests that reach a route after the store was closed, as in a graceful shutdown (the store
 * plugin closes its store in onClose; `depgate serve` closes it after the app): the database is
 * not broken and the request was fine, so the answer is 503 SHUTTING_DOWN with Retry-After, never
 * a 500. Runs on the suite's dialect (DEPGATE_TEST_DATABASE=postgres for PostgreSQL).
 */
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { openTestStore, testDialectFromEnv } from '../databases.js'
import { buildTestApp, randomAdminKey, tempDir, untilReady } from '../helper.js'

function checkShuttingDown (t: Test, res: { statusCode: number, headers: Record<string, unknown>, body: string, json: () => unknown }, what: string): void {
  t.equal(res.statusCode, 503, `${what}: 503`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: a problem`)
  t.equal(res.headers['retry-after'], '5', `${what}: Retry-After`)
  t.match(res.json(), { code: 'SHUTTING_DOWN', status: 503, retry_after_seconds: 5, detail: /shutting down/ }, what)
}

t.test('reads after the store closed answer 503 SHUTTING_DOWN', async (t) => {
  const built = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' } })
  await untilReady(built.app)
  const serial = (await built.store.mirror.listDevices('default', { limit: 1 })).devices[0].serial_number
  const reader = await built.createKey('read')
  // Used only once the store is closed: not in the key cache, so authentication must read the store.
  const unseen = await built.createKey('admin', 'unseen')
  t.equal((await built.app.inject({ url: `/v1/servers/default/devices/${serial}`, headers: built.auth(reader) })).statusCode, 200, 'the mirror answers')

  await built.store.close()

  checkShuttingDown(t, await built.app.inject({ url: '/v1/keys', headers: built.auth() }), 'GET /v1/keys')
  checkShuttingDown(t, await built.app.inject({ url: `/v1/servers/default/devices/${serial}`, headers: built.auth() }), 'GET …/devices/{serial}')
  checkShuttingDown(t, await built.app.inject({ url: '/v1/servers/default/devices?sort=model', headers: built.auth() }), 'GET …/devices?sort=model')
  // A stored key is looked up in the store (after its cache): authentication meets the closed store too.
  checkShuttingDown(t, await built.app.inject({ url: '/v1/keys', headers: built.auth(unseen) }), 'a key authenticated against the closed store')
  t.notOk(built.logs.some((l) => /"level":50/.test(l)), 'nothing is logged as an unhandled error')
  t.ok(built.logs.some((l) => /"level":40.*"code":"SHUTTING_DOWN".*"msg":"refused: shutting down"/.test(l)), 'each is a warning that names the shutdown')
})

t.test('a request in flight while the app closes its own store answers 503 SHUTTING_DOWN', async (t) => {
  const dialect = testDialectFromEnv()
  const dataDir = tempDir(t)
  const env: Record<string, string> = { DEPGATE_DATA_DIR: dataDir, DEPGATE_ADMIN_KEY: randomAdminKey(), DEPGATE_LOG_LEVEL: 'silent', DEPGATE_SIMULATOR: 'off' }
  if (dialect === 'postgres') {
    // The app opens (and, closing, closes) its own store on a fresh schema.
    const database = (await openTestStore(t, 'postgres')).database
    if ('databaseUrl' in database) env.DEPGATE_DATABASE_URL = database.databaseUrl
  }
  const app = await buildServer(loadConfig(env))
  t.teardown(() => app.close())
  // The body arrives after the app has closed: the route then runs against a closed store.
  // Its first read says the route has been found and its body parser is waiting for the body.
  let reading = (): void => {}
  const parsing = new Promise<void>((resolve) => { reading = resolve })
  const body = new Readable({ read () { reading() } })
  const push = (chunk: string | null): void => { body.push(chunk) }
  const pending = app.inject({ method: 'POST', url: '/v1/keys', headers: { authorization: `Bearer ${env.DEPGATE_ADMIN_KEY}`, 'content-type': 'application/json' }, payload: body })
  await parsing
  await app.close()
  push('{"label":"late","scope":"read"}')
  push(null)
  checkShuttingDown(t, await pending, 'POST /v1/keys in flight')
})
