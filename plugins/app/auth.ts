/**
 * API-key authentication and scope enforcement in ONE onRequest hook. Each route declares
 * `config: { scope }`; a route that declares nothing needs `admin`, so forgetting the line can
 * only make a route stricter, never open it.
 */
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { hashSecret, parseApiKey, type RouteScope, type Scope, scopeAllows, verifySecret } from '../../src/api-keys.js'
import { httpProblem } from '../../src/problems.js'

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
}

/** The scope a route needs: its declared one, or admin when it declared none. */
export function requiredScope (request: FastifyRequest): RouteScope {
  if (request.is404) return 'none'
  return request.routeOptions.config.scope ?? 'admin'
}

const unauthenticated = (detail: string) =>
  httpProblem(401, 'UNAUTHENTICATED', detail, { headers: { 'www-authenticate': 'Bearer realm="depgate"' } })

export function createAuthPlugin (opts: AuthPluginOptions = {}) {
  const bootstrapHash = opts.adminKey === undefined ? undefined : hashSecret(opts.adminKey)
  const now = opts.now ?? Date.now
  const lastTouched = new Map<string, number>()

  return fp(async function auth (fastify) {
    fastify.decorateRequest('auth', null)

    async function authenticate (request: FastifyRequest, presented: string): Promise<AuthContext | undefined> {
      const parsed = parseApiKey(presented)
      if (parsed === undefined) {
        // Not our format: it can only be the bootstrap key. Same hash-and-compare cost either way.
        return verifySecret(presented, bootstrapHash) ? { keyId: BOOTSTRAP_KEY_ID, scope: 'admin' } : undefined
      }
      const record = await fastify.store.keys.getForAuth(parsed.id)
      const ok = verifySecret(parsed.secret, record?.hash)
      if (!ok || record === undefined || record.revokedAt !== undefined) return undefined
      const t = now()
      if (t - (lastTouched.get(record.id) ?? -Infinity) >= TOUCH_INTERVAL_MS) {
        lastTouched.set(record.id, t)
        fastify.store.keys.touch(record.id, new Date(t)).catch((err: unknown) => {
          request.log.warn({ err, keyId: record.id }, 'could not record last_used_at')
        })
      }
      return { keyId: record.id, scope: record.scope }
    }

    fastify.addHook('onRequest', async function (request) {
      const need = requiredScope(request)
      // Public routes ignore credentials: a probe or scraper sending some other bearer token must not be refused.
      if (need === 'none') return
      const header = request.headers.authorization
      if (header === undefined) {
        throw unauthenticated('This route needs an API key: send "Authorization: Bearer <key>".')
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      const ctx = match === null ? undefined : await authenticate(request, match[1])
      if (ctx === undefined) throw unauthenticated('The API key is unknown, revoked or malformed.')
      request.auth = ctx
      if (!scopeAllows(ctx.scope, need)) {
        throw httpProblem(403, 'INSUFFICIENT_SCOPE', `This route needs a key with the "${need}" scope; this key has "${ctx.scope}".`)
      }
    })
  }, { name: 'depgate-auth', dependencies: ['depgate-store'] })
}
