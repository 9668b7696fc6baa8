import Fastify from 'fastify'
import type { RouteOptions } from 'fastify'
import t from 'tap'
import { createAuthPlugin, TOUCH_INTERVAL_MS } from '../../../plugins/app/auth.js'
import { createErrorsPlugin } from '../../../plugins/app/errors.js'
import { createStorePlugin } from '../../../plugins/app/store.js'
import { createConfigPlugin } from '../../../plugins/app/config.js'
import { generateApiKey } from '../../../src/api-key-secrets.js'
import type { Scope } from '../../../src/scopes.js'
import { loadConfig } from '../../../src/config.js'
import { createStore } from '../../../src/store/index.js'
import { buildTestApp, tempDir } from '../../helper.js'

/** Routes that may be public; anything else declaring `none` fails the test. */
const PUBLIC = [/^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/|$)/]

const PARAMS: Record<string, string> = { server: 'default', serial: 'C02TESTSERIAL', uuid: '0f2e4b1a9c7d4e8f', id: 'aaaaaaaaaaaa' }
function concrete (url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => PARAMS[name] ?? 'x').replace(/\*$/, 'account')
}

t.test('auth matrix, generated from the registered routes', async (t) => {
  const routes: RouteOptions[] = []
  const { app, store, createKey, auth } = await buildTestApp(t, { onRoute: (r) => { routes.push(r) } })
  const keys: Record<Scope, string> = { read: await createKey('read'), write: await createKey('write'), admin: await createKey('admin') }
  const revoked = generateApiKey()
  await store.keys.create({ id: revoked.id, label: 'gone', scope: 'admin', hash: revoked.hash })
  await store.keys.revoke(revoked.id)
  const wrongSecret = keys.admin.slice(0, -4) + (keys.admin.endsWith('AAAA') ? 'BBBB' : 'AAAA')

  const seen = new Set<string>()
  let checked = 0
  for (const route of routes) {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      const key = `${method} ${route.url}`
      if (seen.has(key)) continue
      seen.add(key)
      const scope = route.config?.scope ?? 'admin'
      if (scope === 'none') {
        t.ok(PUBLIC.some((p) => p.test(route.url)), `${key} is public on purpose`)
        continue
      }
      const url = concrete(route.url)
      const call = (headers: Record<string, string>) => app.inject({ method: method as 'GET', url, headers })
      for (const [why, headers] of [
        ['no key', {}],
        ['unknown key', auth('dgk_000000000000_' + 'A'.repeat(43))],
        ['wrong secret', auth(wrongSecret)],
        ['revoked key', auth(revoked.key)],
        ['not a bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
        ['wrong bootstrap key', auth('x'.repeat(40))]
      ] as Array<[string, Record<string, string>]>) {
        const res = await call(headers)
        t.equal(res.statusCode, 401, `${key}: ${why} → 401`)
        t.equal(res.json().code, 'UNAUTHENTICATED')
        t.match(res.headers['www-authenticate'], /^Bearer/)
      }
      const lower: Scope | undefined = scope === 'admin' ? 'write' : scope === 'write' ? 'read' : undefined
      if (lower !== undefined) {
        const res = await call(auth(keys[lower]))
        t.equal(res.statusCode, 403, `${key}: ${lower} key → 403`)
        t.equal(res.json().code, 'INSUFFICIENT_SCOPE')
      }
      checked++
    }
  }
  t.ok(checked >= 8, `checked ${checked} routes`)
  t.ok([...seen].includes('GET /healthz') && [...seen].includes('DELETE /v1/keys/:id'), 'the collection saw the core routes')
})

t.test('a route without a declared scope needs admin; last_used_at is written at most once a minute', async (t) => {
  const dataDir = tempDir(t)
  const store = await createStore({ dataDir })
  t.teardown(() => store.close())
  let clock = 1_000_000
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(createConfigPlugin(loadConfig({ DEPGATE_DATA_DIR: dataDir })))
  await app.register(createErrorsPlugin())
  let failTouch = false
  const keysRepo = { ...store.keys, touch: async (id: string, at: Date) => { if (failTouch) throw new Error('disk full'); await store.keys.touch(id, at) } }
  await app.register(createStorePlugin({ store: { ...store, keys: keysRepo } }))
  await app.register(createAuthPlugin({ now: () => clock }))
  app.get('/forgot-scope', async () => ({ ok: true }))
  app.get('/open', { config: { scope: 'none' } }, async (request) => ({ auth: request.auth }))

  const write = generateApiKey()
  await store.keys.create({ id: write.id, label: 'w', scope: 'write', hash: write.hash })
  const admin = generateApiKey()
  await store.keys.create({ id: admin.id, label: 'a', scope: 'admin', hash: admin.hash })
  const h = (k: string) => ({ authorization: `Bearer ${k}` })

  t.equal((await app.inject({ url: '/forgot-scope', headers: h(write.key) })).statusCode, 403)
  t.equal((await app.inject({ url: '/forgot-scope', headers: h(admin.key) })).statusCode, 200)
  const open = await app.inject({ url: '/open', headers: h('garbage') })
  t.same(open.json(), { auth: null }, 'public routes ignore credentials')
  t.equal((await app.inject({ url: '/forgot-scope', headers: h('x'.repeat(40)) })).statusCode, 401, 'no bootstrap key configured')

  await new Promise((resolve) => setImmediate(resolve))
  const first = (await store.keys.get(admin.id))?.lastUsedAt
  t.equal(first, new Date(1_000_000).toISOString())
  clock += TOUCH_INTERVAL_MS - 1
  await app.inject({ url: '/forgot-scope', headers: h(admin.key) })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((await store.keys.get(admin.id))?.lastUsedAt, first, 'not rewritten within a minute')
  clock += 1
  await app.inject({ url: '/forgot-scope', headers: h(admin.key) })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal((await store.keys.get(admin.id))?.lastUsedAt, new Date(clock).toISOString())

  failTouch = true
  clock += TOUCH_INTERVAL_MS
  t.equal((await app.inject({ url: '/forgot-scope', headers: h(admin.key) })).statusCode, 200, 'a failing last_used_at write is logged, not fatal')
  await new Promise((resolve) => setImmediate(resolve))
})
