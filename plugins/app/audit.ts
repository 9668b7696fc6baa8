/**
 * The audit log. A write that changes something here writes its row IN THE TRANSACTION of the
 * change (the repositories take an entry: `fastify.auditRow(request, …)` builds it), so a crash
 * can never keep an acknowledged key, server or token without its row. A call to Apple is written
 * as an attempt before the call and finished after (`fastify.auditCall`), so a crash mid-call
 * leaves the attempt visible with the serials it named.
 *
 * Everything else — refusals, failures, routes that change nothing here — is written by one
 * onResponse hook, for EVERY write request (POST, PUT, PATCH, DELETE) and every request to a
 * route that names an audit action whatever its method (a GET that reads a certificate,
 * the pass-through), so a route cannot forget it: who (key id), what (action), on what (target), the
 * result (`ok` or the problem code) and when. The hook skips a request whose row is already
 * written, and finishes an attempt whose call threw with the problem code.
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
import type { AuditEntryInput } from '../../src/store/index.js'

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
  /** The serials the action names (kept with the row; long lists apart, see src/store/audit.ts). */
  serials?: readonly string[]
}

/** What a finished call to Apple adds to its attempt's row. */
export interface CallOutcome { result?: string, detail?: unknown }

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes an audit entry for this request now (and marks it written, so the automatic one is skipped). */
    audit (request: FastifyRequest, entry: RouteAuditEntry): Promise<void>
    /** The row for a repository to write in the transaction of its change; mark the request `audited` once it committed. */
    auditRow (request: FastifyRequest, entry: RouteAuditEntry): AuditEntryInput
    /**
     * Runs a call to Apple between an attempt row (written first) and its outcome (written after a
     * success; after a failure by the onResponse hook, with the problem code).
     */
    auditCall<T> (request: FastifyRequest, entry: Omit<RouteAuditEntry, 'result'>, call: () => Promise<T>, outcome: (result: T) => CallOutcome): Promise<T>
  }
  interface FastifyContextConfig {
    /** Audit action name for this route (else `<METHOD> <url>`); `false`: a read sent with a write method (read scope only). */
    audit?: string | false
  }
  interface FastifyRequest {
    auditAnnotation: AuditAnnotation | null
    audited: boolean
    /** The id of this request's attempt row while its call to Apple has no outcome written. */
    auditAttempt: string | null
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

export function auditEntryFor (request: FastifyRequest, statusCode: number): AuditEntryInput {
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

/** A detail as stored: a string as is, anything else as JSON, cut to MAX_DETAIL. */
function detailText (detail: unknown): string | undefined {
  return detail === undefined ? undefined : (typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, MAX_DETAIL)
}

export function auditRow (request: FastifyRequest, entry: RouteAuditEntry): AuditEntryInput {
  const detail = detailText(entry.detail)
  return {
    keyId: request.auth?.keyId ?? null,
    action: entry.action,
    target: routeEntryTarget(entry),
    result: entry.result ?? 'ok',
    server: entry.server,
    detail,
    serials: entry.serials
  }
}

export function createAuditPlugin () {
  return fp(async function audit (fastify) {
    fastify.addHook('onRoute', checkAuditOptOut)
    fastify.decorateRequest('auditAnnotation', null)
    fastify.decorateRequest('audited', false)
    fastify.decorateRequest('auditAttempt', null)
    fastify.decorate('auditRow', auditRow)
    fastify.decorate('audit', async function (request: FastifyRequest, entry: RouteAuditEntry) {
      request.audited = true
      await fastify.store.audit.record(auditRow(request, entry))
    })
    fastify.decorate('auditCall', async function <T>(request: FastifyRequest, entry: Omit<RouteAuditEntry, 'result'>, call: () => Promise<T>, outcome: (result: T) => CallOutcome): Promise<T> {
      const { result: _pending, ...attempt } = auditRow(request, entry)
      // Written before Apple hears of it: if this write fails, Apple is not called.
      request.auditAttempt = await fastify.store.audit.attempt(attempt)
      request.audited = true
      request.auditWith({ detail: attempt.detail })
      const result = await call()
      const done = outcome(result)
      const detail = detailText(done.detail)
      await fastify.store.audit.finish(request.auditAttempt, { result: done.result ?? 'ok', detail })
      request.auditAttempt = null
      return result
    })
    fastify.decorateRequest('auditWith', function (this: FastifyRequest, annotation: AuditAnnotation) {
      this.auditAnnotation = { ...this.auditAnnotation, ...annotation }
    })
    // Callback style: most requests are reads with nothing to record, and an async hook would cost
    // them a promise and a microtask each.
    fastify.addHook('onResponse', function recordAudit (request, reply, done) {
      if (request.auditAttempt !== null) {
        // The call threw: its attempt gets the problem code (and any detail noted since).
        const { result, detail }: { result: string, detail?: string } = auditEntryFor(request, reply.statusCode)
        fastify.store.audit.finish(request.auditAttempt, { result, detail }).then(() => { done() }, (err: unknown) => {
          request.log.error({ err }, 'could not write the audit log')
          done()
        })
        return
      }
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
