/**
 * Builds the Fastify instance around the app (logger with redaction, request ids, limits) and
 * starts depgate: store, the `default` server (token file, or the embedded simulator in the demo
 * default), the first admin key, listen.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import app, { type AppOptions } from './app.js'
import { redactUrlCredentials } from './api/url-policy.js'
import type { Config } from './config.js'
import { httpProblem, PROBLEM_CONTENT_TYPE, problemType, statusTitle } from './problems.js'
import { AccessLog, requestLoggerFactory } from './request-logger.js'
import { SECURITY_HEADERS } from './security-headers.js'

/** Fields that may hold a secret, wherever they appear in a log object (one level deep, and top level). */
export const SECRET_FIELDS = [
  'authorization', 'consumer_secret', 'access_token', 'access_secret', 'consumer_key',
  'token', 'secret', 'password', 'key', 'adminKey', 'admin_key', 'x-adm-auth-session'
]

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-adm-auth-session"]',
  'res.headers["x-adm-auth-session"]',
  ...SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`])
]

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/
/** Retry-After on requests refused while this process closes: a restart or another replica answers by then. */
const CLOSING_RETRY_SECONDS = 5

/** Keeps a caller's X-Request-Id when it is short and plain (it ends up in logs), else makes one. */
export function genReqId (req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

/**
 * Fastify's own request serializer, with credentials in a query value's URL redacted
 * (src/api/url-policy.ts). Any object logged as `req` comes through here, not only a request.
 */
export function requestForLog (req: Partial<Pick<FastifyRequest, 'method' | 'url' | 'headers' | 'host' | 'ip' | 'socket'>>): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrlCredentials(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort
  }
}

export function loggerOptions (config: Config, stream?: DestinationStream): FastifyServerOptions['loggerInstance'] | Record<string, unknown> {
  const base = { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, serializers: { req: requestForLog } }
  return stream === undefined ? base : { ...base, stream }
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request line or headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time.']
}
const MALFORMED: [number, string, string] = [400, 'BAD_REQUEST', 'The request is not valid HTTP.']

/**
 * Node's answer to bytes that never became a request (too-large headers, malformed HTTP, a
 * request that took too long), which no hook or error handler sees: the same problem+json shape
 * as every other error. Nothing of the input is echoed (it may be a secret-bearing header), and
 * there is no `instance` because the path is part of what could not be read.
 */
export function clientErrorHandler (this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  // The peer is gone: nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] = CLIENT_ERRORS[err.code ?? ''] ?? MALFORMED
  this.log.debug({ code: err.code }, 'client error')
  if (socket.writable) {
    const body = JSON.stringify({ type: problemType(code), title: statusTitle(status), status, code, detail })
    socket.write(`HTTP/1.1 ${status} ${statusTitle(status)}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}

/**
 * Fastify's own refusals before any route runs (a URL whose percent-encoding is broken): a problem
 * like every other error, echoing nothing of the URL.
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code = error.code === 'FST_ERR_BAD_URL' ? 'BAD_URL' : 'BAD_REQUEST'
  const detail = code === 'BAD_URL' ? 'The URL is not valid: check its percent-encoding (%XX).' : 'The request cannot be routed.'
  // No hook runs before this answer: it carries what the app's hooks put on every other one.
  reply.code(400).header('x-request-id', request.id).headers(SECURITY_HEADERS).type(PROBLEM_CONTENT_TYPE).send({ type: problemType(code), title: statusTitle(400), status: 400, code, detail })
}

/**
 * Graceful close without the 72 s keep-alive wait: once the requests in flight have been answered,
 * every remaining connection (idle keep-alive ones, and stuck ones that sent half a request) is
 * closed. Node's own `close()` only drops connections that are idle at that very moment. A request
 * that still arrives meanwhile is refused with 503 SHUTTING_DOWN.
 */
function closeConnectionsWhenDrained (fastify: FastifyInstance): void {
  const server = fastify.server
  let inFlight = 0
  let closing = false
  const sweep = (): void => {
    if (closing && inFlight === 0) server.closeAllConnections()
  }
  server.on('request', (_req, res) => {
    inFlight++
    res.once('close', () => {
      inFlight--
      sweep()
    })
  })
  // A request that still arrives on an open connection (pipelined behind one in flight) once
  // closing began: a problem with Retry-After, like every other refusal. Fastify's own
  // return503OnClosing writes a fixed JSON body without either.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done()
      return
    }
    // This hook runs before the app's, which set X-Request-Id and the security headers on every other answer.
    reply.header('connection', 'close').header('x-request-id', request.id).headers(SECURITY_HEADERS)
    done(httpProblem(503, 'SHUTTING_DOWN', 'depgate is shutting down; try again in a moment (another replica, or this one once restarted, will answer).', { retryAfterSeconds: CLOSING_RETRY_SECONDS }))
  })
  fastify.addHook('preClose', (done) => {
    closing = true
    // After Fastify's server.close() (which runs right after this hook): no new connections by then.
    setImmediate(sweep)
    done()
  })
}

export interface BuildOptions extends Omit<AppOptions, 'config'> {
  /** Where log lines go (default stdout); tests pass an array-backed stream. */
  logStream?: DestinationStream
  /** Sees every route as it is registered (tests derive the auth matrix from it). */
  onRoute?: (route: RouteOptions) => void
}

/** The whole service as a Fastify instance, ready but not listening. */
export async function buildServer (config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const { logStream, onRoute, ...appOpts } = opts
  const fastify = Fastify({
    logger: loggerOptions(config, logStream) as FastifyServerOptions['logger'],
    genReqId,
    requestIdHeader: false,
    // Request loggers made on first use, and one access line per request (request-logger.ts).
    childLoggerFactory: requestLoggerFactory,
    logController: new AccessLog(),
    trustProxy: false,
    bodyLimit: config.bodyLimit,
    // The whole request (headers and body) must have arrived by then (DEPGATE_REQUEST_TIMEOUT, 5
    // minutes by default): a body trickled a byte at a time cannot hold a connection for ever. Node
    // checks every connectionsCheckingInterval, so that follows a short timeout too.
    requestTimeout: config.limits.requestTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.limits.requestTimeoutMs / 4)) },
    // A socket silent for longer than a request may take is dead.
    connectionTimeout: config.limits.requestTimeoutMs + 10_000,
    keepAliveTimeout: 72_000,
    // closeConnectionsWhenDrained answers those requests itself.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler,
    frameworkErrors,
    routerOptions: { ignoreTrailingSlash: true },
    // Loading every route (from TypeScript under the test runner, on a busy 2-core box) can pass
    // Fastify's 10 s default; a start that truly hangs is still reported, after a minute.
    pluginTimeout: 60_000
  })
  // Node refuses headers arriving after requestTimeout anyway; its default of 60 s must not exceed it.
  fastify.server.headersTimeout = Math.min(fastify.server.headersTimeout, config.limits.requestTimeoutMs)
  // Beyond it node drops new connections at once: a flood of idle sockets cannot take every file descriptor.
  fastify.server.maxConnections = config.limits.maxConnections
  closeConnectionsWhenDrained(fastify)
  if (onRoute !== undefined) fastify.addHook('onRoute', onRoute)
  await fastify.register(fp(app), { config, ...appOpts })
  await fastify.ready()
  return fastify
}
