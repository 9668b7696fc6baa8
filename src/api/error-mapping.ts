/**
 * Every error depgate can meet, mapped on purpose to a problem a Mac admin can act on. The
 * DepError mapping is deliberate per class: the HTTP status says whose fault it is (the caller's
 * request, Apple's account state, or Apple being unreachable), the code stays Apple's when Apple
 * gave one, and the detail names the fix.
 */
import type { FastifyRequest } from 'fastify'
import {
  DepApiError, DepAuthError, DepCursorError, DepError, DepResponseError, DepThrottledError,
  DepTokenExpiredError, DepTransportError, DepUpstreamError
} from '../dep/errors.js'
import { HttpProblem, httpProblem } from '../problems.js'
import { isStoreClosedError } from '../store/index.js'
import { SnapshotLimitError } from '../store/read-snapshots.js'

const TERMS_FIX = 'Apple refused the request because the latest terms and conditions have not been accepted. ' +
  'An administrator must accept the latest terms and conditions in Apple Business Manager (or Apple School Manager), then try again.'

/** Apple codes that mean "the thing you named does not exist". */
const NOT_FOUND_CODES = new Set(['NOT_FOUND', 'PROFILE_NOT_FOUND', 'DEVICE_NOT_FOUND'])

/** Why Apple refused a cursor, per Apple's code; every case ends in "start over with the full list". */
const CURSOR_REASONS: Record<string, string> = {
  EXPIRED_CURSOR: 'Apple no longer accepts this cursor: it is older than 7 days.',
  INVALID_CURSOR: 'Apple does not recognise this cursor.',
  EXHAUSTED_CURSOR: 'Apple says this cursor has already returned everything it will.',
  CURSOR_REQUIRED: 'Apple needs a cursor to report changes.'
}

/** What the request was about, so a detail can name the exact URL to call next. */
export interface MappingContext {
  /** The depgate server name of the route, when it has one. */
  server?: string
}

/** What the error mapping may name in a detail: the route's `:server`, once validated by the route. */
export function mappingContext (request: Pick<FastifyRequest, 'params'>): MappingContext {
  const params = request.params as Record<string, unknown> | undefined
  return typeof params?.server === 'string' ? { server: params.server } : {}
}

function cursorProblem (err: DepCursorError, server: string | undefined): HttpProblem {
  // Apple repeating the cursor it was given is Apple's anomaly, not the caller's cursor.
  if (err.code === 'SAME_CURSOR') return httpProblem(502, err.code, 'Apple kept answering with the same cursor; depgate stopped instead of looping. Try again later.')
  const reason = CURSOR_REASONS[err.code] ?? `Apple refused the cursor (${err.code}).`
  return httpProblem(409, err.code, `${reason} Start over with GET /v1/servers/${server ?? '{server}'}/devices and use the cursor it returns.`)
}

function mapDepError (err: DepError, context: MappingContext): HttpProblem {
  const where = `Apple's ${err.endpoint.replace(/_/g, ' ')} endpoint`
  if (err instanceof DepTokenExpiredError) {
    return httpProblem(409, 'SERVER_TOKEN_EXPIRED', 'The DEP server token has expired. Download a new server token from Apple Business Manager (or Apple School Manager) and upload it with PUT /v1/servers/{server}.')
  }
  if (err instanceof DepAuthError) {
    if (err.code === 'T_C_NOT_SIGNED') return httpProblem(403, err.code, TERMS_FIX)
    if (err.code === 'ACCESS_DENIED') {
      return httpProblem(403, err.code, 'Apple denied access with this server token. Check that the MDM server still exists in Apple Business Manager (or Apple School Manager) and that its token is current.')
    }
    return httpProblem(502, err.code, `Apple rejected depgate's authentication (${err.code}). The server token may have been revoked or replaced: download a new one from Apple Business Manager and upload it.`)
  }
  if (err instanceof DepCursorError) return cursorProblem(err, context.server)
  if (err instanceof DepApiError) {
    if (NOT_FOUND_CODES.has(err.code)) return httpProblem(404, err.code, `Apple answered ${err.code}: the item requested does not exist for this server.`)
    return httpProblem(400, err.code, `Apple refused the request with ${err.code}.`)
  }
  if (err instanceof DepThrottledError) {
    // One code for "Apple asked us to slow down"; the status repeats Apple's: 503 only when Apple said 503, else 429.
    // Apple does not always say how long; a minute is the conservative hint when it did not.
    const wait = { retryAfterSeconds: err.retryAfterSeconds ?? 60 }
    return err.status === 503
      ? httpProblem(503, 'UPSTREAM_THROTTLED', `${where} is unavailable for now (Apple answered 503); wait and try again.`, wait)
      : httpProblem(429, 'UPSTREAM_THROTTLED', `Apple is throttling requests to ${where}; wait and try again.`, wait)
  }
  if (err instanceof DepTransportError) {
    return err.code === 'TIMEOUT'
      ? httpProblem(504, 'UPSTREAM_TIMEOUT', `${where} did not answer in time; try again.`)
      : httpProblem(502, 'UPSTREAM_UNREACHABLE', `${where} could not be reached (network error); try again.`)
  }
  if (err instanceof DepResponseError) {
    return httpProblem(502, 'UPSTREAM_INVALID_RESPONSE', `${where} answered with a body depgate could not read; try again.`)
  }
  if (err instanceof DepUpstreamError) {
    return httpProblem(502, 'UPSTREAM_ERROR', `${where} failed (HTTP ${err.status}) after retries; try again later.`, { retryAfterSeconds: err.retryAfterSeconds })
  }
  return httpProblem(502, 'UPSTREAM_ERROR', `${where} failed (${err.code}); try again later.`)
}

/**
 * Failures that mean the database cannot serve right now, rather than a bug: a PostgreSQL
 * connection that is refused, dropped or timed out, SQLSTATE classes 08 (connection exception, but
 * not 08P01, a protocol violation: a bug), 53 (insufficient resources: too many connections, disk
 * full) and 57P (the server shutting down or starting up), and SQLite's busy, I/O, full and
 * read-only errors (SQLITE_LOCKED is a conflict within one connection: a bug). They answer 503
 * with Retry-After, not 500: the request was fine and may succeed in a moment. Checked after
 * Fastify's own 4xx errors, so a client hanging up mid-body (ECONNRESET, status 400) stays a 400.
 */
const DATABASE_SQLSTATE = /^(08\d|53|57P)/
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|IOERR|FULL|CANTOPEN|READONLY)/
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/** pg's own messages for a connection it lost or could not open (they carry no code). */
const PG_CONNECTION_LOST = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/
/** Seconds a caller is told to wait while the database is unavailable. */
export const DATABASE_RETRY_SECONDS = 5

export function isDatabaseUnavailable (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code: unknown = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (error.name === 'SqliteError') return SQLITE_UNAVAILABLE.test(code)
    // pg's DatabaseError carries the server's severity with its SQLSTATE.
    if ('severity' in error) return DATABASE_SQLSTATE.test(code)
    // A bare socket error reaching a route comes from pg: the DEP client wraps its own (DepTransportError).
    return NETWORK_CODES.has(code)
  }
  return PG_CONNECTION_LOST.test(error.message)
}

interface FastifyLikeError {
  code?: string
  statusCode?: number
  validation?: Array<{ instancePath?: string, message?: string, params?: Record<string, unknown> }>
  validationContext?: string
}

/** What a validation failure names: `body.token.consumer_key`, `querystring.limit`… */
type ValidationEntry = NonNullable<FastifyLikeError['validation']>[number]

function validationProblem (validation: ValidationEntry[], context: string | undefined): HttpProblem {
  const where = context ?? 'request'
  const errors = validation.map((v) => {
    const path = (v.instancePath ?? '').split('/').filter((s) => s !== '')
    const missing = typeof v.params?.missingProperty === 'string' ? [v.params.missingProperty] : []
    return { field: [where, ...path, ...missing].join('.'), message: v.message ?? 'is invalid' }
  })
  const first = errors[0] ?? { field: where, message: 'is invalid' }
  return httpProblem(400, 'VALIDATION_FAILED', `${first.field}: ${first.message}`, { errors })
}

/** Maps anything thrown in a request to the problem to answer with; `internal` marks the ones to log as errors. */
export function mapError (error: unknown, context: MappingContext = {}): { problem: HttpProblem, internal: boolean } {
  if (error instanceof HttpProblem) return { problem: error, internal: false }
  if (error instanceof DepError) return { problem: mapDepError(error, context), internal: false }
  const err = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError
  // Fastify sets `validation` only on request validation failures (zod's issues, via the provider).
  if (Array.isArray(err.validation)) return { problem: validationProblem(err.validation, err.validationContext), internal: false }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: httpProblem(400, 'MALFORMED_JSON', 'The request body is not valid JSON.'), internal: false }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: httpProblem(413, 'BODY_TOO_LARGE', 'The request body is larger than this server accepts (DEPGATE_BODY_LIMIT).'), internal: false }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        problem: err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? httpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.')
          : httpProblem(400, 'BAD_REQUEST', 'The request\'s Content-Length does not match its body.'),
        internal: false
      }
  }
  // Other 4xx from Fastify itself (bad URL encoding, …): keep the status, never the message.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { problem: httpProblem(err.statusCode, 'BAD_REQUEST', 'The request could not be understood.'), internal: false }
  }
  if (error instanceof SnapshotLimitError) {
    return {
      problem: httpProblem(503, 'MIRROR_BUSY', `${error.limit} whole device lists sorted by something other than the serial are being read already, the most depgate serves at once; try again in a moment, or leave out sort (the serial's order has no such limit).`, { retryAfterSeconds: DATABASE_RETRY_SECONDS }),
      internal: false
    }
  }
  // Not an outage: this depgate closed its store (a graceful shutdown) while the request ran. The
  // request was fine; a moment later another replica, or this one restarted, answers it.
  if (isStoreClosedError(error)) {
    return {
      problem: httpProblem(503, 'SHUTTING_DOWN', 'depgate is shutting down and no longer reads or writes its database; try again in a moment (another replica, or this one once restarted, will answer).', { retryAfterSeconds: DATABASE_RETRY_SECONDS }),
      internal: false
    }
  }
  if (isDatabaseUnavailable(error)) {
    return {
      problem: httpProblem(503, 'DATABASE_UNAVAILABLE', 'depgate\'s database is not answering right now; try again in a moment. If this lasts, an operator should check the database (DEPGATE_DATABASE_URL, or the disk holding DEPGATE_DATA_DIR); GET /readyz reports it too.', { retryAfterSeconds: DATABASE_RETRY_SECONDS }),
      internal: false
    }
  }
  return { problem: httpProblem(500, 'INTERNAL', 'depgate failed unexpectedly. The error has been logged with this request id.'), internal: true }
}
