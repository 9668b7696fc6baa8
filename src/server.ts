/**
 * Builds the Fastify instance around the app (logger with redaction, request ids, limits) and
 * starts depgate: store, the `default` server (token file, or the embedded simulator in the demo
 * default), the first admin key, listen.
 */
import { randomUUID } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import app, { type AppOptions } from './app.js'
import type { Config } from './config.js'

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

/** Keeps a caller's X-Request-Id when it is short and plain (it ends up in logs), else makes one. */
export function genReqId (req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

export function loggerOptions (config: Config, stream?: DestinationStream): FastifyServerOptions['loggerInstance'] | Record<string, unknown> {
  const base = { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } }
  return stream === undefined ? base : { ...base, stream }
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
    trustProxy: false,
    bodyLimit: config.bodyLimit,
    // Draining a big fleet's cursors takes a while; 5 minutes is generous without leaving sockets forever.
    requestTimeout: 300_000,
    connectionTimeout: 310_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true }
  })
  if (onRoute !== undefined) fastify.addHook('onRoute', onRoute)
  await fastify.register(fp(app), { config, ...appOpts })
  await fastify.ready()
  return fastify
}

/* c8 ignore start - entry point for `node dist/src/server.js` (the Dockerfile's CMD); tests build the server directly */
function isEntryPoint (): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  const { main } = await import('./cli.js')
  main(['serve']).then((code) => { if (code !== 0) process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`depgate: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
/* c8 ignore stop */
