/**
 * The dashboard (/ui): server-rendered pages for people, from the same src/api functions and store
 * reads the JSON routes use. A person signs in once with an API key and then carries a session
 * cookie (HttpOnly, SameSite=Strict, Secure unless DEPGATE_UI_INSECURE_COOKIES, Path=/ui); every
 * form POST carries a CSRF token; a strict Content-Security-Policy allows only this origin's
 * script and stylesheet and no framing. These routes are hidden from the OpenAPI document (they
 * answer HTML, not the API) and declare `scope: 'none'` to the API-key hook: the session check
 * here is their authentication.
 */
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ASSETS } from '../../src/ui/assets.js'
import { sendPage } from '../../src/ui/reply.js'
import { UI_PREFIX, type Viewer } from '../../src/ui/layout.js'
import { errorPage, signInPage } from '../../src/ui/pages/sign-in.js'
import { parseApiKey } from '../../src/api-key-secrets.js'
import { createUiSessions } from '../../src/ui/sessions.js'
import { pageRoutes } from './pages.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Dashboard routes: `public` needs no session (sign-in, assets); `admin` needs an admin session. */
    ui?: { public?: true, admin?: true }
  }
  interface FastifyRequest {
    /** The signed-in person's key, on dashboard routes that need a session. */
    viewer: Viewer | null
  }
}

export const SESSION_COOKIE = 'depgate_session'
export const CSRF_COOKIE = 'depgate_csrf'
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

const FORM_LIMIT = 16 * 1024

const DASHBOARD_PATH = /^\/ui(\/[^/\\]|\/?$|\?)/

/**
 * Where to go after signing in: a dashboard path of this origin only (never `//elsewhere`), as the
 * URL parser reads it (dot segments resolved: `/ui/../x` is not the dashboard) and percent-encoded,
 * so the Location header carries no raw control or non-ASCII character (node refuses those: a 500).
 */
export function safeNext (next: string | undefined): string {
  if (next === undefined || !DASHBOARD_PATH.test(next)) return UI_PREFIX
  // Relative to a made-up origin: the pattern above keeps `next` a path of it.
  const url = new URL(next, 'http://depgate.invalid')
  const path = url.pathname + url.search
  return DASHBOARD_PATH.test(path) ? path : UI_PREFIX
}

const ui = { scope: 'none' as const }
const hidden = { hide: true }

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  const { secureCookies, sessionMs } = fastify.config.ui
  const cookieOpts = { path: UI_PREFIX, httpOnly: true, sameSite: 'strict' as const, secure: secureCookies }
  await fastify.register(cookie)
  await fastify.register(csrf, { cookieKey: CSRF_COOKIE, cookieOpts })
  // Forms post application/x-www-form-urlencoded; only here, the API never reads it.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  fastify.decorateRequest('viewer', null)
  const now = (): number => fastify.scheduler.now()
  const sessions = createUiSessions({ store: fastify.store, adminKey: fastify.config.adminKey, sessionMs, now })
  // The API's counters: guesses through the form and through Authorization add up.
  const failures = fastify.authFailures

  const frame = (request: FastifyRequest, reply: FastifyReply) => request.viewer === null ? {} : { viewer: request.viewer, csrf: reply.generateCsrf() }

  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    reply.header('referrer-policy', 'same-origin')
    reply.header('x-frame-options', 'DENY')
    const config = request.routeOptions.config.ui
    if (config?.public === true) return
    const presented = request.cookies[SESSION_COOKIE]
    const viewer = presented === undefined ? undefined : await sessions.viewer(presented)
    if (viewer === undefined) {
      if (presented !== undefined) reply.clearCookie(SESSION_COOKIE, cookieOpts)
      if (request.method === 'GET') return await reply.redirect(`${UI_PREFIX}/sign-in?next=${encodeURIComponent(request.url)}`, 303)
      return await sendPage(reply, 401, errorPage({}, 401, 'Signed out', 'Your session has ended or its key was revoked: sign in again.'))
    }
    request.viewer = viewer
    if (config?.admin === true && viewer.scope !== 'admin') {
      return await sendPage(reply, 403, errorPage(frame(request, reply), 403, 'Admin only',
        `This page is for admin keys; you signed in with a key with the "${viewer.scope}" scope.`))
    }
  })

  // Errors as pages in the dashboard's frame, with the sentence the JSON API would give.
  fastify.setErrorHandler(function (error, request, reply) {
    if ((error as { code?: string }).code === 'FST_CSRF_INVALID_TOKEN' || (error as { code?: string }).code === 'FST_CSRF_MISSING_SECRET') {
      request.log.info('form refused: its CSRF token is missing or wrong')
      return sendPage(reply, 403, errorPage(frame(request, reply), 403, 'Form expired',
        'This form did not come from this dashboard page, or it is too old: go back, reload the page and try again.'))
    }
    const problem = fastify.problemFor(error, request)
    const heading = problem.status === 404 ? 'Not found' : problem.status >= 500 ? 'depgate could not answer' : 'Cannot show this'
    return sendPage(reply, problem.status, errorPage(frame(request, reply), problem.status, heading, problem.detail))
  })

  // A dashboard URL that is no page: a page too (with the CSP), not the API's JSON 404; the session
  // check above runs first, so a signed-out browser learns nothing of which paths exist.
  fastify.setNotFoundHandler((request, reply) => sendPage(reply, 404, errorPage(frame(request, reply), 404, 'Not found', 'There is no dashboard page at this address.')))

  fastify.get('/assets/:name', {
    config: { ...ui, ui: { public: true } },
    schema: { ...hidden, params: z.object({ name: z.string().max(40) }) }
  }, async (request, reply) => {
    const asset = ASSETS[request.params.name]
    if (asset === undefined) return sendPage(reply, 404, errorPage({}, 404, 'Not found', 'No such file.'))
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    // Revalidated on each use: cheap (an ETag), and a new depgate's stylesheet shows at once.
    return reply.header('cache-control', 'no-cache').header('etag', asset.etag).type(asset.type).send(asset.body)
  })

  const nextQuery = z.object({ next: z.string().max(2000).optional() })

  fastify.get('/sign-in', {
    config: { ...ui, ui: { public: true } },
    schema: { ...hidden, querystring: nextQuery }
  }, async (_request, reply) => sendPage(reply, 200, signInPage(reply.generateCsrf())))

  fastify.post('/sign-in', {
    config: { ...ui, ui: { public: true } },
    // _csrf is optional here so that a missing token is the CSRF check's 403, not a validation error.
    schema: { ...hidden, querystring: nextQuery, body: z.object({ key: z.string().max(1000), _csrf: z.string().max(200).optional() }) },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const presented = request.body.key.trim()
    // As the API's auth hook: per address and per the key id the form names, before any hashing.
    const refusal = failures.refusal(request.ip, parseApiKey(presented)?.id)
    if (refusal !== undefined) return sendPage(reply, 429, signInPage(reply.generateCsrf(), 'Too many failed sign-ins from this address or for this key: wait a minute and try again.'))
    const { key, claimed } = await sessions.check(presented)
    if (key === undefined) {
      failures.failed(request.ip, claimed)
      return sendPage(reply, 401, signInPage(reply.generateCsrf(), 'That key is unknown, revoked or mistyped.'))
    }
    // No fixation: a session this browser already carried is ended, and the CSRF secret (a cookie
    // that could have been planted before sign-in) is replaced with a new one.
    const earlier = request.cookies[SESSION_COOKIE]
    if (earlier !== undefined) await sessions.close(earlier)
    delete request.cookies[CSRF_COOKIE]
    reply.generateCsrf()
    const opened = await sessions.open(key)
    await fastify.store.audit.record({ keyId: key.keyId, action: 'ui.sign_in', target: UI_PREFIX, result: 'ok' })
    reply.setCookie(SESSION_COOKIE, opened.cookie, { ...cookieOpts, maxAge: Math.floor(sessionMs / 1000) })
    return await reply.redirect(safeNext(request.query.next), 303)
  })

  fastify.post('/sign-out', {
    config: ui,
    schema: { ...hidden, body: z.object({ _csrf: z.string().max(200).optional() }) },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    await sessions.close(request.cookies[SESSION_COOKIE]!)
    reply.clearCookie(SESSION_COOKIE, cookieOpts)
    reply.clearCookie(CSRF_COOKIE, cookieOpts)
    return await reply.redirect(`${UI_PREFIX}/sign-in`, 303)
  })

  await fastify.register(pageRoutes, { frame })
}

export default plugin
