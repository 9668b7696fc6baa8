import t from 'tap'
import { httpProblem, problemResponses, problemSchema, problemType, statusTitle, toProblem } from '../src/problems.js'

t.test('httpProblem carries status, code, detail and Retry-After', async (t) => {
  const p = httpProblem(429, 'RATE_LIMITED', 'Slow down.', { retryAfterSeconds: 7, headers: { 'x-a': 'b' }, cause: new Error('x') })
  t.equal(p.statusCode, 429)
  t.same(p.headers, { 'x-a': 'b', 'retry-after': '7' })
  t.ok(p.cause)
  t.same(toProblem(p, '/v1/keys?cursor=secret', 'r1'), {
    type: 'urn:depgate:problem:rate-limited',
    title: 'Too Many Requests',
    status: 429,
    code: 'RATE_LIMITED',
    detail: 'Slow down.',
    instance: '/v1/keys',
    request_id: 'r1',
    retry_after_seconds: 7
  })
  const v = httpProblem(400, 'VALIDATION_FAILED', 'x', { errors: [{ field: 'body.a', message: 'bad' }] })
  t.same(toProblem(v, '/x').errors, [{ field: 'body.a', message: 'bad' }])
  t.equal(toProblem(v, '/x').request_id, undefined)
})

t.test('helpers', async (t) => {
  t.equal(problemType('T_C_NOT_SIGNED'), 'urn:depgate:problem:t-c-not-signed')
  t.equal(statusTitle(404), 'Not Found')
  t.equal(statusTitle(599), 'Error')
  const r = problemResponses(404)
  t.same(Object.keys(r).map(Number).sort((a, b) => a - b), [400, 401, 403, 404, 429, 500, 503])
  t.equal(r[404], problemSchema)
})
