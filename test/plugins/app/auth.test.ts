import Fastify from 'fastify'
import t from 'tap'
import { createAuthPlugin, TOUCH_INTERVAL_MS } from '../../../plugins/app/auth.js'
import { createErrorsPlugin } from '../../../plugins/app/errors.js'
import { createStorePlugin } from '../../../plugins/app/store.js'
import { createConfigPlugin } from '../../../plugins/app/config.js'
import { generateApiKey } from '../../../src/api-key-secrets.js'
import { loadConfig } from '../../../src/config.js'
import { createStore } from '../../../src/store/index.js'
import { tempDir } from '../../helper.js'

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
