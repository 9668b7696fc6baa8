import Sqlite from 'better-sqlite3'
import pg from 'pg'
import t from 'tap'
import {
  DepApiError, DepAuthError, DepCursorError, DepError, DepResponseError, DepThrottledError,
  DepTokenExpiredError, DepTransportError, DepUpstreamError
} from '../../src/dep/errors.js'
import { isDatabaseUnavailable, mapError } from '../../src/api/error-mapping.js'
import { SnapshotLimitError } from '../../src/store/read-snapshots.js'
import { httpProblem } from '../../src/problems.js'

const ep = { endpoint: 'fetch_devices' as const }

const cases: Array<[string, unknown, number, string, RegExp?]> = [
  ['terms not signed', new DepAuthError('x', { code: 'T_C_NOT_SIGNED', status: 403, ...ep }), 403, 'T_C_NOT_SIGNED', /must accept the latest terms and conditions in Apple Business Manager \(or Apple School Manager\)/],
  ['access denied', new DepAuthError('x', { code: 'ACCESS_DENIED', status: 403, ...ep }), 403, 'ACCESS_DENIED', /Apple denied access/],
  ['oauth rejected', new DepAuthError('x', { code: 'OAUTH_REJECTED', status: 401, endpoint: 'session' }), 502, 'OAUTH_REJECTED', /download a new one/],
  ['token expired', new DepTokenExpiredError('x', { code: 'TOKEN_EXPIRED', ...ep }), 409, 'SERVER_TOKEN_EXPIRED', /download a new server token from Apple Business Manager/i],
  ['profile not found', new DepApiError('x', { code: 'PROFILE_NOT_FOUND', status: 400, endpoint: 'get_profile' }), 404, 'PROFILE_NOT_FOUND'],
  ['not found', new DepApiError('x', { code: 'NOT_FOUND', status: 404, endpoint: 'get_profile' }), 404, 'NOT_FOUND'],
  ['other api error', new DepApiError('x', { code: 'DEVICE_ID_REQUIRED', status: 400, endpoint: 'device_details' }), 400, 'DEVICE_ID_REQUIRED', /DEVICE_ID_REQUIRED/],
  ['expired cursor', new DepCursorError('x', { code: 'EXPIRED_CURSOR', status: 400, endpoint: 'sync_devices' }), 409, 'EXPIRED_CURSOR', /older than 7 days\. Start over with GET \/v1\/servers\/\{server\}\/devices/],
  // Codes the catalog (src/problem-codes.ts) lacks are answered with a catalog code; the detail keeps Apple's.
  ['unknown cursor code', new DepCursorError('x', { code: 'CURSOR_GONE', status: 400, endpoint: 'sync_devices' }), 409, 'INVALID_CURSOR', /refused the cursor \(CURSOR_GONE\)\. Start over with GET/],
  ['unknown api code', new DepApiError('x', { code: 'NEW_APPLE_CODE', status: 400, endpoint: 'device_details' }), 400, 'UPSTREAM_REFUSED', /refused the request with NEW_APPLE_CODE/],
  ['depgate\'s code from Apple', new DepApiError('x', { code: 'VALIDATION_FAILED', status: 400, endpoint: 'device_details' }), 400, 'UPSTREAM_REFUSED', /VALIDATION_FAILED/],
  ['unknown auth code', new DepAuthError('x', { code: 'USER_AGENT_MISSING', status: 400, endpoint: 'session' }), 502, 'OAUTH_REJECTED', /authentication \(USER_AGENT_MISSING\)/],
  ['session refused', new DepAuthError('x', { code: 'UNAUTHORIZED', status: 401, ...ep }), 502, 'UNAUTHORIZED'],
  ['same cursor', new DepCursorError('x', { code: 'SAME_CURSOR', status: 200, endpoint: 'sync_devices' }), 502, 'SAME_CURSOR', /same cursor/],
  ['throttled', new DepThrottledError('x', { code: 'TOO_MANY_REQUESTS', status: 429, retryAfterSeconds: 12, ...ep }), 429, 'UPSTREAM_THROTTLED'],
  ['unavailable with Retry-After', new DepThrottledError('x', { code: 'UPSTREAM_503', status: 503, retryAfterSeconds: 12, ...ep }), 503, 'UPSTREAM_THROTTLED', /answered 503/],
  ['upstream 5xx', new DepUpstreamError('x', { code: 'SERVER_ERROR', status: 503, ...ep }), 502, 'UPSTREAM_ERROR', /HTTP 503/],
  ['timeout', new DepTransportError('x', { code: 'TIMEOUT', ...ep }), 504, 'UPSTREAM_TIMEOUT'],
  ['network', new DepTransportError('x', { code: 'NETWORK_ERROR', ...ep }), 502, 'UPSTREAM_UNREACHABLE'],
  ['bad response', new DepResponseError('x', { code: 'INVALID_RESPONSE', status: 200, ...ep }), 502, 'UPSTREAM_INVALID_RESPONSE'],
  ['base DepError', new DepError('x', { code: 'WEIRD', ...ep }), 502, 'UPSTREAM_ERROR', /WEIRD/],
  ['own problem', httpProblem(404, 'KEY_NOT_FOUND', 'No active API key with id k.'), 404, 'KEY_NOT_FOUND'],
  ['malformed json', { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 400, 'MALFORMED_JSON'],
  ['empty json', { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }, 400, 'MALFORMED_JSON'],
  ['too large', { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 413, 'BODY_TOO_LARGE'],
  ['media type', { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['content length', { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 }, 400, 'BAD_REQUEST'],
  ['other 4xx', { code: 'FST_ERR_BAD_URL', statusCode: 400, message: 'secret-ish' }, 400, 'BAD_REQUEST'],
  ['closed store', new Error('driver has already been destroyed'), 503, 'SHUTTING_DOWN', /depgate is shutting down/],
  ['closed SQLite connection', new TypeError('The database connection is not open'), 503, 'SHUTTING_DOWN'],
  ['unknown', new Error('db password is hunter2'), 500, 'INTERNAL'],
  ['not even an error', 'boom', 500, 'INTERNAL']
]

for (const [name, err, status, code, detail] of cases) {
  t.test(name, async (t) => {
    const { problem, internal } = mapError(err)
    t.equal(problem.statusCode, status)
    t.equal(problem.code, code)
    t.equal(internal, code === 'INTERNAL')
    if (detail !== undefined) t.match(problem.detail, detail)
    t.notMatch(problem.detail, /hunter2|secret-ish/)
  })
}

t.test('a closed store says when to retry', async (t) => {
  t.equal(mapError(new Error('driver has already been destroyed')).problem.headers['retry-after'], '5')
})

t.test('throttling always says when to retry', async (t) => {
  t.equal(mapError(new DepThrottledError('x', { code: 'T', status: 429, retryAfterSeconds: 12, ...ep })).problem.headers['retry-after'], '12')
  t.equal(mapError(new DepThrottledError('x', { code: 'T', status: 503, ...ep })).problem.headers['retry-after'], '60')
})

t.test('a cursor refusal names the server\'s own device list to start over from', async (t) => {
  const { problem } = mapError(new DepCursorError('x', { code: 'INVALID_CURSOR', status: 400, endpoint: 'sync_devices' }), { server: 'paris' })
  t.equal(problem.statusCode, 409)
  t.equal(problem.detail, 'Apple does not recognise this cursor. Start over with GET /v1/servers/paris/devices and use the cursor it returns.')
})

t.test('validation failures name the field and why', async (t) => {
  const { problem } = mapError({
    statusCode: 400,
    validationContext: 'body',
    validation: [
      { instancePath: '/token', message: 'is required', params: { missingProperty: 'consumer_key' } },
      { instancePath: '', params: {} },
      { message: 'no path at all' }
    ]
  })
  t.equal(problem.code, 'VALIDATION_FAILED')
  t.equal(problem.detail, 'body.token.consumer_key: is required')
  t.same(problem.errors, [{ field: 'body.token.consumer_key', message: 'is required' }, { field: 'body', message: 'is invalid' }, { field: 'body', message: 'no path at all' }])
  const empty = mapError({ statusCode: 400, validation: [] }).problem
  t.equal(empty.detail, 'request: is invalid')
})

/** pg's server error as the driver builds it: the SQLSTATE in `code`, with a severity. */
function pgError (code: string, message = 'server said no'): Error {
  const err = new pg.DatabaseError(message, 0, 'error')
  err.code = code
  err.severity = 'FATAL'
  return err
}

t.test('a database that cannot answer is a 503 DATABASE_UNAVAILABLE with Retry-After, never a 500', async (t) => {
  const unavailable: Array<[string, unknown]> = [
    ['SQLite busy', new Sqlite.SqliteError('database is locked', 'SQLITE_BUSY')],
    ['SQLite disk I/O', new Sqlite.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE')],
    ['SQLite disk full', new Sqlite.SqliteError('database or disk is full', 'SQLITE_FULL')],
    ['PostgreSQL shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['PostgreSQL starting up (57P03)', pgError('57P03')],
    ['too many connections (53300)', pgError('53300', 'too many connections for role "depgate"')],
    ['connection failure (08006)', pgError('08006')],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['connection dropped', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')]
  ]
  for (const [name, err] of unavailable) {
    t.ok(isDatabaseUnavailable(err), name)
    const { problem, internal } = mapError(err)
    t.equal(problem.statusCode, 503, name)
    t.equal(problem.code, 'DATABASE_UNAVAILABLE')
    t.equal(problem.headers['retry-after'], '5')
    t.match(problem.detail, /database is not answering right now; try again in a moment/)
    t.notOk(internal, 'a known outage, not a bug')
  }
  // A database that answers with an error about the query itself is a bug: still 500.
  const bugs: Array<[string, unknown]> = [
    ['SQLite constraint', new Sqlite.SqliteError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_PRIMARYKEY')],
    ['SQLite locked (a conflict within one connection)', new Sqlite.SqliteError('database table is locked', 'SQLITE_LOCKED')],
    ['PostgreSQL protocol violation (08P01)', pgError('08P01', 'bind message supplies 70000 parameters')],
    ['SQLite syntax', new Sqlite.SqliteError('near "x": syntax error', 'SQLITE_ERROR')],
    ['PostgreSQL undefined table (42P01)', pgError('42P01', 'relation "x" does not exist')],
    ['PostgreSQL unique violation (23505)', pgError('23505')],
    ['an error with an unrelated code', Object.assign(new Error('nope'), { code: 'ERR_SOMETHING' })],
    ['not an Error', { code: 'ECONNREFUSED' }]
  ]
  for (const [name, err] of bugs) {
    t.notOk(isDatabaseUnavailable(err), name)
    t.equal(mapError(err).problem.statusCode, 500, name)
  }
  // Too many sorted whole-list streams hold a snapshot: busy, not broken.
  const busy = mapError(new SnapshotLimitError(4))
  t.match(busy.problem, { statusCode: 503, code: 'MIRROR_BUSY', headers: { 'retry-after': '5' }, detail: /^4 whole device lists sorted by something other than the serial .*leave out sort/ })
  t.notOk(busy.internal)
  // A client hanging up mid-body: Node's ECONNRESET, which Fastify marks 400. Not the database.
  const hangUp = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 })
  t.match(mapError(hangUp).problem, { statusCode: 400, code: 'BAD_REQUEST' })
})
