import Fastify from 'fastify'
import t from 'tap'
import { createErrorsPlugin } from '../../../plugins/app/errors.js'
import { DepAuthError, DepThrottledError, DepUpstreamError } from '../../../src/dep/errors.js'
import { buildTestApp } from '../../helper.js'

t.test('a thrown DepError leaves as problem+json with Retry-After', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(createErrorsPlugin())
  app.get('/terms', async () => { throw new DepAuthError('x', { code: 'T_C_NOT_SIGNED', status: 403, endpoint: 'account' }) })
  app.get('/slow', async () => { throw new DepThrottledError('x', { code: 'TOO_MANY_REQUESTS', status: 429, retryAfterSeconds: 5, endpoint: 'account' }) })
  app.get('/upstream', async () => { throw new DepUpstreamError('x', { code: 'SERVER_ERROR', status: 500, endpoint: 'account' }) })
  app.get('/boom', async () => { throw new Error('connection string postgres://u:pw@db') })
  app.get('/mid-stream', async (request) => app.problemFor(new Error('x'), request))

  const terms = await app.inject('/terms')
  t.equal(terms.statusCode, 403)
  t.match(terms.headers['content-type'], /^application\/problem\+json/)
  t.match(terms.json(), { code: 'T_C_NOT_SIGNED', status: 403, title: 'Forbidden', instance: '/terms', type: 'urn:depgate:problem:t-c-not-signed' })

  const slow = await app.inject('/slow')
  t.equal(slow.statusCode, 429)
  t.equal(slow.headers['retry-after'], '5')
  t.equal(slow.json().retry_after_seconds, 5)

  t.match((await app.inject('/upstream')).json(), { status: 502, code: 'UPSTREAM_ERROR' })
  const boom = await app.inject('/boom')
  t.equal(boom.statusCode, 500)
  t.equal(boom.json().code, 'INTERNAL')
  t.notMatch(boom.body, /postgres|pw@/)

  t.match((await app.inject('/mid-stream')).json(), { status: 500, code: 'INTERNAL' })
})

t.test('the real app: not found, malformed JSON, too large, media type, validation', async (t) => {
  const { app, auth } = await buildTestApp(t, { simulator: false, env: { DEPGATE_BODY_LIMIT: '1024' } })
  const json = { ...auth(), 'content-type': 'application/json' }

  const nf = await app.inject({ url: '/v2/nothing?x=1' })
  t.equal(nf.statusCode, 404, 'an unknown route is 404 even without a key')
  t.match(nf.json(), { code: 'NOT_FOUND', instance: '/v2/nothing' })
  t.ok(nf.headers['x-request-id'])

  const bad = await app.inject({ method: 'POST', url: '/v1/keys', headers: json, payload: '{"label": ' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'MALFORMED_JSON')

  // An empty JSON body is no body: a route whose body is optional answers as without one…
  const empty = await app.inject({ method: 'DELETE', url: '/v1/jobs/00000000-0000-0000-0000-000000000000', headers: json, payload: '' })
  t.equal(empty.json().code, 'JOB_NOT_FOUND', 'an empty application/json body is read as none')
  // …and one that needs a body refuses it as a bodiless request: the body is required, not malformed.
  const none = await app.inject({ method: 'POST', url: '/v1/keys', headers: json, payload: ' ' })
  t.equal(none.statusCode, 400)
  t.equal(none.json().code, 'VALIDATION_FAILED')

  const big = await app.inject({ method: 'POST', url: '/v1/keys', headers: json, payload: JSON.stringify({ label: 'x'.repeat(2000), scope: 'read' }) })
  t.equal(big.statusCode, 413)
  t.equal(big.json().code, 'BODY_TOO_LARGE')

  const media = await app.inject({ method: 'POST', url: '/v1/keys', headers: { ...auth(), 'content-type': 'application/xml' }, payload: '<key/>' })
  t.equal(media.statusCode, 415)
  t.equal(media.json().code, 'UNSUPPORTED_MEDIA_TYPE')

  const invalid = await app.inject({ method: 'POST', url: '/v1/keys', headers: json, payload: JSON.stringify({ label: 'x', scope: 'root' }) })
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().code, 'VALIDATION_FAILED')
  t.equal(invalid.json().errors[0].field, 'body.scope')
  t.match(invalid.json().detail, /^body\.scope: /)

  const missing = await app.inject({ method: 'POST', url: '/v1/keys', headers: json, payload: JSON.stringify({ scope: 'read' }) })
  t.equal(missing.json().errors[0].field, 'body.label')
})
