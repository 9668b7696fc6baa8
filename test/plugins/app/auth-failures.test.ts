import Fastify from 'fastify'
import t from 'tap'
import { createAuthFailures } from '../../../plugins/app/auth-failures.js'
import { createAuthPlugin } from '../../../plugins/app/auth.js'
import { createConfigPlugin } from '../../../plugins/app/config.js'
import { createErrorsPlugin } from '../../../plugins/app/errors.js'
import { createStorePlugin } from '../../../plugins/app/store.js'
import { verifySecret } from '../../../src/api-key-secrets.js'
import { loadConfig } from '../../../src/config.js'
import type { HttpProblem } from '../../../src/problems.js'
import { createStore } from '../../../src/store/index.js'
import { randomAdminKey, tempDir } from '../../helper.js'

t.test('failures are counted per address and per key id, in fixed windows, in a bounded map', async (t) => {
  let clock = 0
  const f = createAuthFailures({ max: 2, windowMs: 10_000, maxBuckets: 3, now: () => clock })
  f.failed('10.0.0.1', undefined)
  t.equal(f.refusal('10.0.0.1', undefined), undefined, 'one failure of two')
  clock = 2500
  f.failed('10.0.0.1', 'abc')
  const refused = f.refusal('10.0.0.1', undefined) as HttpProblem
  t.match(refused, { statusCode: 429, code: 'TOO_MANY_AUTH_FAILURES', retryAfterSeconds: 8 }, 'the rest of the window, rounded up')
  t.equal(refused.headers['retry-after'], '8')
  t.equal(f.refusal('10.0.0.2', 'abc'), undefined, 'the key id has one failure')
  f.failed('10.0.0.2', 'abc')
  t.match(f.refusal('10.0.0.3', 'abc'), { statusCode: 429 }, 'the key id is spent, from any address')
  clock = 10_000
  t.equal(f.refusal('10.0.0.1', undefined), undefined, 'a window that has ended refuses nothing')
  f.failed('10.0.0.1', undefined)
  t.equal(f.refusal('10.0.0.1', undefined), undefined, 'and counts afresh')
  // ip:10.0.0.1, key:abc, ip:10.0.0.2 are held; a fourth bucket drops the oldest window (key:abc).
  f.failed('10.0.0.4', undefined)
  t.equal(f.refusal('10.0.0.3', 'abc'), undefined, 'the oldest window made room')
})

t.test('once limited, neither the store nor the hash is touched', async (t) => {
  const dataDir = tempDir(t)
  const store = await createStore({ dataDir })
  t.teardown(() => store.close())
  let clock = 5_000_000
  let hashes = 0
  let reads = 0
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(createConfigPlugin(loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_AUTH_FAILURE_LIMIT: '3' })))
  await app.register(createErrorsPlugin())
  const keys = { ...store.keys, peekForAuth: (id: string) => { reads++; return store.keys.peekForAuth(id) } }
  await app.register(createStorePlugin({ store: { ...store, keys } }))
  await app.register(createAuthPlugin({
    adminKey: randomAdminKey(),
    now: () => clock,
    verify: (secret, hash) => { hashes++; return verifySecret(secret, hash) }
  }))
  app.get('/r', { config: { scope: 'read' } }, async () => ({ ok: true }))
  const call = async (key: string) => await app.inject({ url: '/r', headers: { authorization: `Bearer ${key}` } })

  for (let i = 0; i < 2; i++) t.equal((await call('n'.repeat(40))).statusCode, 401)
  t.equal((await call('dgk_aaaaaaaaaaaa_' + 'A'.repeat(43))).statusCode, 401, 'a key of our format')
  t.equal(hashes, 3, 'each checked attempt costs a hash (an unknown key id too: same cost either way)')
  const limited = await app.inject({ url: '/r', remoteAddress: '127.0.0.1', headers: { authorization: 'Bearer ' + 'm'.repeat(40) } })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '60')
  t.equal((await call('dgk_bbbbbbbbbbbb_' + 'A'.repeat(43))).statusCode, 429)
  t.equal(hashes, 3, 'no hash for a refused attempt')
  t.equal(reads, 1, 'no key record read for a refused attempt')
  t.equal((await app.inject({ url: '/r' })).statusCode, 401, 'no key at all is answered 401 as ever (not a guess)')
  clock += 60_000
  t.equal((await call('n'.repeat(40))).statusCode, 401, 'checked again once the minute is over')
  t.equal(hashes, 4)
})
