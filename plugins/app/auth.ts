/**
 * API-key authentication and scope enforcement in ONE onRequest hook. Each route declares
 * `config: { scope }`; a route that declares nothing needs `admin`, so forgetting the line can
 * only make a route stricter, never open it.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { hashSecret, parseApiKey, verifySecret } from '../../src/api-key-secrets.js'
import { type RouteScope, type Scope, scopeAllows } from '../../src/scopes.js'
import { httpProblem } from '../../src/problems.js'
import { type AuthFailures, createAuthFailures } from './auth-failures.js'

export interface AuthContext {
  /** The key's id; `bootstrap` for DEPGATE_ADMIN_KEY. */
  keyId: string
  scope: Scope
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least scope needed to call the route; `none` only for health, metrics and docs. Default: `admin`. */
    scope?: RouteScope
  }
  interface FastifyInstance {
    /** Failed authentications per address and key id, shared by the API and the dashboard's sign-in. */
    authFailures: AuthFailures
  }
  interface FastifyRequest {
    /** Who is calling, once the auth hook has run (null on public routes without a key). */
    auth: AuthContext | null
  }
}

export const BOOTSTRAP_KEY_ID = 'bootstrap'
/** `last_used_at` is written at most this often per key: a timestamp, not an access log. */
export const TOUCH_INTERVAL_MS = 60_000

export interface AuthPluginOptions {
  /** DEPGATE_ADMIN_KEY; only its hash is kept in memory. */
  adminKey?: string
  now?: () => number
  /** The hash-and-compare (tests count its calls). */
  verify?: typeof verifySecret
}

/** The scope a route needs: its declared one, or admin when it declared none. */
export function requiredScope (request: FastifyRequest): RouteScope {
  if (request.is404) return 'none'
  return request.routeOptions.config.scope ?? 'admin'
}

const unauthenticated = (detail: string) =>
  httpProblem(401, 'UNAUTHENTICATED', detail, { headers: { 'www-authenticate': 'Bearer realm="depgate"' } })

const BEARER = /^Bearer\s+(\S+)\s*$/i
const NO_KEY = 'This route needs an API key: send "Authorization: Bearer <key>".'
const BAD_KEY = 'The API key is unknown, revoked or malformed.'
/** Shared by every request made with DEPGATE_ADMIN_KEY: nothing per request to allocate. */
const BOOTSTRAP_AUTH: AuthContext = Object.freeze({ keyId: BOOTSTRAP_KEY_ID, scope: 'admin' })

type KeyRecord = NonNullable<ReturnType<FastifyInstance['store']['keys']['peekForAuth']>>

export function createAuthPlugin (opts: AuthPluginOptions = {}) {
  const bootstrapHash = opts.adminKey === undefined ? undefined : hashSecret(opts.adminKey)
  const now = opts.now ?? Date.now
  const verify = opts.verify ?? verifySecret
  const lastTouched = new Map<string, number>()

  return fp(async function auth (fastify) {
    fastify.decorateRequest('auth', null)
    const keys = fastify.store.keys
    const failures = createAuthFailures({ max: fastify.config.limits.authFailures, now })
    fastify.decorate('authFailures', failures)

    /** The caller, once the key's record (or its absence) is known; hash-and-compare costs the same whatever the outcome. */
    function check (request: FastifyRequest, secret: string, record: KeyRecord | undefined): AuthContext | undefined {
      const ok = verify(secret, record?.hash)
      if (!ok || record === undefined || record.revokedAt !== undefined) return undefined
      const t = now()
      if (t - (lastTouched.get(record.id) ?? -Infinity) >= TOUCH_INTERVAL_MS) {
        lastTouched.set(record.id, t)
        keys.touch(record.id, new Date(t)).catch((err: unknown) => {
          request.log.warn({ err, keyId: record.id }, 'could not record last_used_at')
        })
      }
      return { keyId: record.id, scope: record.scope }
    }

    function finish (request: FastifyRequest, need: Scope, ctx: AuthContext | undefined, done: HookHandlerDoneFunction, keyId?: string): void {
      if (ctx === undefined) {
        failures.failed(request.ip, keyId)
        done(unauthenticated(BAD_KEY))
        return
      }
      request.auth = ctx
      if (!scopeAllows(ctx.scope, need)) {
        done(httpProblem(403, 'INSUFFICIENT_SCOPE', `This route needs a key with the "${need}" scope; this key has "${ctx.scope}".`))
        return
      }
      done()
    }

    // Callback style, and synchronous unless the key's record must be read from the database (at
    // most once per key per cache TTL): an async hook costs a promise and a microtask per request.
    fastify.addHook('onRequest', function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      const need = requiredScope(request)
      // Public routes ignore credentials: a probe or scraper sending some other bearer token must not be refused.
      if (need === 'none') {
        done()
        return
      }
      const header = request.headers.authorization
      if (header === undefined) {
        done(unauthenticated(NO_KEY))
        return
      }
      const match = BEARER.exec(header)
      const presented = match?.[1]
      const parsed = presented === undefined ? undefined : parseApiKey(presented)
      // Before any record is read or anything hashed: a guesser that used up its failures costs a map lookup.
      const refusal = failures.refusal(request.ip, parsed?.id)
      if (refusal !== undefined) {
        done(refusal)
        return
      }
      if (presented === undefined) {
        finish(request, need, undefined, done)
        return
      }
      if (parsed === undefined) {
        // Not our format: it can only be the bootstrap key. Same hash-and-compare cost either way.
        finish(request, need, verify(presented, bootstrapHash) ? BOOTSTRAP_AUTH : undefined, done)
        return
      }
      const cached = keys.peekForAuth(parsed.id)
      if (cached !== undefined) {
        finish(request, need, check(request, parsed.secret, cached), done, parsed.id)
        return
      }
      keys.getForAuth(parsed.id).then((record) => {
        finish(request, need, check(request, parsed.secret, record), done, parsed.id)
      }, done)
    })
  }, { name: 'depgate-auth', dependencies: ['depgate-config', 'depgate-store'] })
}
