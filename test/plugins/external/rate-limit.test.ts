import t from 'tap'
import { buildTestApp } from '../../helper.js'

t.test('per-key limit answers 429 problem with Retry-After', async (t) => {
  const { app, auth, createKey } = await buildTestApp(t, { simulator: false, env: { DEPGATE_RATE_LIMIT: '3' } })
  const a = await createKey('read')
  const b = await createKey('read')
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/v1/servers', headers: auth(a) })).statusCode, 200)
  const limited = await app.inject({ url: '/v1/servers', headers: auth(a) })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /application\/problem\+json/)
  t.match(limited.json(), { code: 'RATE_LIMITED', status: 429 })
  t.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After in seconds')
  t.equal(limited.json().retry_after_seconds, Number(limited.headers['retry-after']))
  t.equal((await app.inject({ url: '/v1/servers', headers: auth(b) })).statusCode, 200, 'another key has its own bucket')
  for (let i = 0; i < 5; i++) t.equal((await app.inject('/healthz')).statusCode, 200, 'health is never limited')
})

t.test('requests without a key (the docs) are limited per IP', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false, env: { DEPGATE_RATE_LIMIT: '1' } })
  const url = '/docs/static/swagger-initializer.js'
  t.equal((await app.inject({ url, remoteAddress: '10.0.0.1' })).statusCode, 200)
  t.equal((await app.inject({ url, remoteAddress: '10.0.0.1' })).statusCode, 429)
  t.equal((await app.inject({ url, remoteAddress: '10.0.0.2' })).statusCode, 200, 'another IP has its own bucket')
})
