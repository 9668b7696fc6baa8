import t from 'tap'
import { z } from 'zod'
import {
  DepApiError, DepAuthError, DepCursorError, DepResponseError, DepThrottledError, DepUpstreamError, bodyExcerpt, parseErrorCode
} from '../../src/dep/errors.js'
import { errorFromResponse, isSessionRejected, parseBody } from '../../src/dep/responses.js'

const res = (status: number, body = '', headers: Record<string, string> = {}): { status: number, body: string, headers: Record<string, string> } => ({ status, body, headers })
const now = Date.parse('2026-01-01T00:00:00Z')

t.test('parseErrorCode reads bare, quoted and JSON codes', async (t) => {
  t.equal(parseErrorCode('INVALID_CURSOR'), 'INVALID_CURSOR')
  t.equal(parseErrorCode('"EXPIRED_CURSOR"\r\n'), 'EXPIRED_CURSOR')
  t.equal(parseErrorCode('{"code":"T_C_NOT_SIGNED"}'), 'T_C_NOT_SIGNED')
  t.equal(parseErrorCode('{"nope":1}'), undefined)
  t.equal(parseErrorCode('{not json FORBIDDEN'), 'FORBIDDEN')
  t.equal(parseErrorCode(''), undefined)
  t.equal(parseErrorCode('<html>Bad Gateway</html>'), undefined)
  t.equal(bodyExcerpt('a\n  b'), 'a b')
  t.equal(bodyExcerpt('x'.repeat(300)).length, 201)
})

t.test('session rejection: 401, or 403 with FORBIDDEN', async (t) => {
  t.ok(isSessionRejected(res(401)))
  t.ok(isSessionRejected(res(403, '"FORBIDDEN"')))
  t.notOk(isSessionRejected(res(403, 'T_C_NOT_SIGNED')))
  t.notOk(isSessionRejected(res(400, 'FORBIDDEN')))
})

t.test('errorFromResponse classifies every family', async (t) => {
  const cases: Array<[ReturnType<typeof res>, unknown, Record<string, unknown>]> = [
    [res(403, 'T_C_NOT_SIGNED'), DepAuthError, { code: 'T_C_NOT_SIGNED', status: 403 }],
    [res(403, '{"code":"ACCESS_DENIED"}'), DepAuthError, { code: 'ACCESS_DENIED' }],
    [res(401, 'UNAUTHORIZED'), DepAuthError, { code: 'UNAUTHORIZED', status: 401 }],
    [res(403, 'FORBIDDEN'), DepAuthError, { code: 'UNAUTHORIZED', status: 403 }],
    [res(403, 'APPLE_SEED_FOR_IT_TURNED_OFF'), DepApiError, { code: 'APPLE_SEED_FOR_IT_TURNED_OFF', status: 403 }],
    [res(429, '', { 'retry-after': '120' }), DepThrottledError, { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: 120 }],
    [res(429, 'TOO_MANY_REQUESTS'), DepThrottledError, { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: undefined }],
    [res(503, '', { 'retry-after': '5' }), DepThrottledError, { code: 'UPSTREAM_503', retryAfterSeconds: 5 }],
    [res(503, '<html>down</html>'), DepUpstreamError, { code: 'UPSTREAM_503' }],
    [res(500, 'INTERNAL_ERROR'), DepUpstreamError, { code: 'INTERNAL_ERROR', status: 500 }],
    [res(405), DepApiError, { code: 'METHOD_NOT_ALLOWED', status: 405 }],
    [res(400, 'EXHAUSTED_CURSOR'), DepCursorError, { code: 'EXHAUSTED_CURSOR' }],
    [res(400, '"INVALID_CURSOR"'), DepCursorError, { code: 'INVALID_CURSOR' }],
    [res(400, 'EXPIRED_CURSOR'), DepCursorError, { code: 'EXPIRED_CURSOR' }],
    [res(400, 'CURSOR_REQUIRED'), DepCursorError, { code: 'CURSOR_REQUIRED' }],
    [res(404, 'PROFILE_NOT_FOUND'), DepApiError, { code: 'PROFILE_NOT_FOUND', status: 404 }],
    [res(404), DepApiError, { code: 'NOT_FOUND' }],
    [res(400), DepApiError, { code: 'HTTP_400' }],
    [res(418, 'x'), DepApiError, { code: 'HTTP_418' }]
  ]
  for (const [r, type, fields] of cases) {
    const err = errorFromResponse('account', r, now)
    t.type(err, type as new (...a: never[]) => unknown, `${r.status} ${r.body}`)
    t.match(err, { endpoint: 'account', ...fields }, `${r.status} ${r.body}`)
  }
  t.equal(errorFromResponse('account', res(500), now).retryAfterSeconds, undefined)
})

t.test('parseBody validates 2xx bodies', async (t) => {
  const schema = z.looseObject({ a: z.number() })
  t.same(parseBody('account', res(200, '{"a":1,"later":true}'), schema), { a: 1, later: true }, 'unknown fields survive')
  t.throws(() => parseBody('account', res(200, '{"a":'), schema), DepResponseError)
  t.throws(() => parseBody('account', res(200, '<html>'), schema), { code: 'INVALID_RESPONSE', status: 200 })
  t.throws(() => parseBody('account', res(200, '{"a":"1"}'), schema), { code: 'INVALID_RESPONSE', message: /at a/ })
  t.throws(() => parseBody('account', res(200, '[]'), schema), { message: /\(root\)/ })
})
