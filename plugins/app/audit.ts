/**
 * The audit log, written for EVERY write request (POST, PUT, PATCH, DELETE), and for every
 * request to a route that names an audit action whatever its method (a GET that reads a certificate,
 * the pass-through), by one onResponse hook, so a route cannot forget it: who (key id), what (action), on what (target), the result
 * (`ok` or the problem code) and when. A route that wants a richer entry writes it itself after
 * success with `await fastify.audit(request, {...})`; the hook then skips that request, and still
 * records the failure when the route throws before getting there.
 *
 * A read sent with a write method (POST …/devices/details carries its serials in a body) says so
 * with `config: { audit: false }`. That opt-out is accepted only from a route whose scope is
 * `read` (or `none`): a route needing `write` or `admin` — or declaring no scope, which means
 * admin — that says `audit: false` stops the app at start-up, so no real write can drop out of
 * the log by a slip. Deriving "write" from the scope alone would instead drop a write route whose
 * scope was set too low, silently.
 */
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'

export interface AuditAnnotation {
  /** Dotted verb; default `<METHOD> <route url>`, e.g. `PUT /v1/servers/:server`. */
  action?: string
  /** What was acted on; default the request path. */
  target?: string
  /** Short non-secret note: counts, a profile uuid, a scope. Never a token or key. */
  detail?: string
}

/** An explicit entry from a route: `server` and `target` combine into the stored target. */
export interface RouteAuditEntry {
  /** Dotted verb, e.g. `profile.assign`. */
  action: string
  /** The depgate server name, when the action is on one. */
  server?: string
  /** What inside the server (a profile uuid, a serial), or null for the server itself. */
  target: string | null
  /** Non-secret facts (counts, summaries); stored as JSON, cut to 2000 characters. */
  detail?: unknown
  /** Default `ok`. */
  result?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes an audit entry for this request now (and marks it written, so the automatic one is skipped). */
    audit (request: FastifyRequest, entry: RouteAuditEntry): Promise<void>
  }
  interface FastifyContextConfig {
    /** Audit action name for this route (else `<METHOD> <url>`); `false`: a read sent with a write method (read scope only). */
    audit?: string | false
  }
  interface FastifyRequest {
    auditAnnotation: AuditAnnotation | null
    audited: boolean
    /** Refines this request's audit entry (action, target, detail). */
    auditWith (annotation: AuditAnnotation): void
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Scopes of routes that may declare themselves reads (`audit: false`). */
const READ_SCOPES = new Set(['read', 'none'])

/** Whether the hook records a request: a route naming its action always; a write method unless its route is a declared read. */
export function isAudited (method: string, audit: string | false | undefined): boolean {
  if (typeof audit === 'string') return true
  return audit !== false && WRITE_METHODS.has(method)
}

/** Refuses `audit: false` on a route that needs more than `read`: such a route writes, and must be logged. */
export function checkAuditOptOut (route: { method: string | string[], url: string, config?: { audit?: string | false, scope?: string } }): void {
  const config = route.config ?? {}
  if (config.audit !== false || READ_SCOPES.has(config.scope ?? 'admin')) return
  throw new Error(`${[route.method].flat().join(',')} ${route.url} declares audit: false but needs the "${config.scope ?? 'admin'}" scope: only a read-scope route may opt out of the audit log.`)
}

export function auditEntryFor (request: FastifyRequest, statusCode: number) {
  const a = request.auditAnnotation ?? {}
  const named = request.routeOptions.config.audit
  const entry = {
    keyId: request.auth?.keyId ?? null,
    action: a.action ?? (typeof named === 'string' ? named : `${request.method} ${String(request.routeOptions.url)}`),
    target: a.target ?? request.url.split('?')[0],
    result: statusCode < 400 ? 'ok' : (request.problemCode ?? `HTTP_${statusCode}`)
  }
  return a.detail === undefined ? entry : { ...entry, detail: a.detail }
}

const MAX_DETAIL = 2000

export function routeEntryTarget (entry: Pick<RouteAuditEntry, 'server' | 'target'>): string {
  if (entry.server === undefined) return entry.target ?? ''
  return entry.target === null ? `/v1/servers/${entry.server}` : `/v1/servers/${entry.server}/${entry.target}`
}

export function createAuditPlugin () {
  return fp(async function audit (fastify) {
    fastify.addHook('onRoute', checkAuditOptOut)
    fastify.decorateRequest('auditAnnotation', null)
    fastify.decorateRequest('audited', false)
    fastify.decorate('audit', async function (request: FastifyRequest, entry: RouteAuditEntry) {
      request.audited = true
      const detail = entry.detail === undefined ? undefined : JSON.stringify(entry.detail).slice(0, MAX_DETAIL)
      await fastify.store.audit.record({
        keyId: request.auth?.keyId ?? null,
        action: entry.action,
        target: routeEntryTarget(entry),
        result: entry.result ?? 'ok',
        ...(detail === undefined ? {} : { detail })
      })
    })
    fastify.decorateRequest('auditWith', function (this: FastifyRequest, annotation: AuditAnnotation) {
      this.auditAnnotation = { ...this.auditAnnotation, ...annotation }
    })
    // Callback style: most requests are reads with nothing to record, and an async hook would cost
    // them a promise and a microtask each.
    fastify.addHook('onResponse', function recordAudit (request, reply, done) {
      // Requests refused before authentication are not audited (they are logged): otherwise anyone
      // who can reach the port could fill the table, since the rate limit counts keys, not strangers.
      if (!isAudited(request.method, request.routeOptions.config.audit) || request.is404 || request.audited || request.auth === null) {
        done()
        return
      }
      fastify.store.audit.record(auditEntryFor(request, reply.statusCode)).then(() => { done() }, (err: unknown) => {
        request.log.error({ err }, 'could not write the audit log')
        done()
      })
    })
  }, { name: 'depgate-audit', dependencies: ['depgate-store', 'depgate-auth', 'depgate-errors'] })
}
