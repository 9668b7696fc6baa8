import t from 'tap'
import { createFixedWindow } from '../../../plugins/app/rate-limit.js'
import { buildTestApp } from '../../helper.js'

t.test('per-key limit answers 429 problem with Retry-After', async (t) => {
  const { app, auth, createKey } = await buildTestApp(t, { simulator: false, env: { DEPGATE_RATE_LIMIT: '3' } })
  const a = await createKey('read')
  const b = await createKey('read')
  const first = await app.inject({ url: '/v1/servers', headers: auth(a) })
  t.equal(first.statusCode, 200)
  t.equal(first.headers.ratelimit, '"default";r=2;t=60', 'every limited answer says what is left')
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/v1/servers', headers: auth(a) })).statusCode, 200)
  const limited = await app.inject({ url: '/v1/servers', headers: auth(a) })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /application\/problem\+json/)
  t.match(limited.json(), { code: 'RATE_LIMITED', status: 429 })
  t.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After in seconds')
  t.equal(limited.json().retry_after_seconds, Number(limited.headers['retry-after']))
  t.equal(limited.headers['ratelimit-policy'], '"default";q=3;w=60', 'the IETF draft\'s policy field: 3 per 60 s')
  t.equal(limited.headers.ratelimit, `"default";r=0;t=${String(limited.headers['retry-after'])}`, 'none left, the window ends when Retry-After says')
  t.notOk(Object.keys(limited.headers).some((name) => name.startsWith('x-ratelimit')), 'one set of fields only')
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

t.test('fixed window: a bucket restarts when its window ends, and the oldest bucket goes when full', async (t) => {
  let clock = 0
  const hit = createFixedWindow({ max: 2, windowMs: 10_000, maxBuckets: 2, now: () => clock })
  t.match(hit('a'), { allowed: true, limit: 2, remaining: 1, resetSeconds: 10 })
  t.match(hit('a'), { allowed: true, remaining: 0 })
  clock = 9_500
  t.match(hit('a'), { allowed: false, remaining: 0, resetSeconds: 1 }, 'never 0 s while the window runs')
  clock = 10_000
  t.match(hit('a'), { allowed: true, remaining: 1, resetSeconds: 10 }, 'a new window')
  hit('b')
  hit('c')
  t.match(hit('b'), { allowed: true, remaining: 0 }, 'b was kept')
  t.match(hit('a'), { allowed: true, remaining: 1 }, 'a, the oldest, was dropped for c')
})
