/**
 * The dashboard's sign-in and session, without a browser: CSRF tokens, cookie flags, the
 * Content-Security-Policy, expiry on the app's clock, sign-out, revocation with the key, the admin
 * pages' 403 for a read session, and no secret in any page.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { ManualScheduler } from '../../../src/scheduler.js'
import { CONTENT_SECURITY_POLICY, CSRF_COOKIE, safeNext, SESSION_COOKIE } from '../../../routes/ui/index.js'
import { buildTestApp } from '../../helper.js'
import { browser, csrfField } from './jar.js'

const cookieOf = (res: LightMyRequestResponse, name: string) => res.cookies.find((c) => c.name === name)

t.test('sign-in, session cookie, CSRF, scope, revocation, expiry and sign-out', async (t) => {
  const scheduler = new ManualScheduler()
  const { app, adminKey, createKey, auth } = await buildTestApp(t, { scheduler })
  const readKey = await createKey('read', 'helpdesk')

  const root = await app.inject('/')
  t.equal(root.headers.location, '/ui', '/ goes to the dashboard')
  const b = browser(app)
  const anonymous = await b.get('/ui')
  t.equal(anonymous.statusCode, 303)
  t.equal(anonymous.headers.location, '/ui/sign-in?next=%2Fui', 'no session: to the sign-in page, coming back after')

  const form = await b.get('/ui/sign-in')
  t.equal(form.statusCode, 200)
  t.equal(form.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
  t.match(CONTENT_SECURITY_POLICY, /default-src 'self'.*frame-ancestors 'none'/)
  t.notMatch(form.body, /<script>|<style|style="/, 'nothing inline for the CSP to refuse')
  const csrfCookie = cookieOf(form, CSRF_COOKIE)!
  t.match(csrfCookie, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: true })

  const noToken = await b.post('/ui/sign-in', { key: readKey })
  t.equal(noToken.statusCode, 403, 'a form without its CSRF token is refused')
  t.match(noToken.body, /Form expired/)
  t.equal(cookieOf(noToken, SESSION_COOKIE), undefined)
  const forged = await b.post('/ui/sign-in', { key: readKey, _csrf: 'made-up' })
  t.equal(forged.statusCode, 403, 'and one with a token this browser was not given')

  const wrong = await b.post('/ui/sign-in', { key: `${readKey}x`, _csrf: csrfField(form.body) })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.body, /unknown, revoked or mistyped/)

  const signedIn = await b.signIn(readKey)
  t.equal(signedIn.statusCode, 303)
  t.equal(signedIn.headers.location, '/ui/keys', 'back to the page asked for')
  const session = cookieOf(signedIn, SESSION_COOKIE)!
  t.match(session, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: true, maxAge: 8 * 3600 })
  t.not(session.value, readKey)

  const keysPage = await b.get('/ui/keys')
  t.equal(keysPage.statusCode, 403, 'a read session cannot see the admin pages')
  t.match(keysPage.body, /Admin only/)
  t.equal((await b.get('/ui/audit')).statusCode, 403)
  const overview = await b.get('/ui')
  t.equal(overview.statusCode, 200)
  t.match(overview.body, /helpdesk/)
  t.notMatch(overview.body, /href="\/ui\/keys"/, 'no link to pages the session cannot open')

  // Expiry: the session's end is on the app's clock.
  await scheduler.advance(8 * 3600_000 - 1000)
  t.equal((await b.get('/ui')).statusCode, 200, 'still open a second before its end')
  await scheduler.advance(2000)
  const ended = await b.get('/ui')
  t.equal(ended.statusCode, 303, 'ended after DEPGATE_UI_SESSION_HOURS')

  // Revocation: the key's sessions stop with it.
  await b.signIn(readKey)
  t.equal((await b.get('/ui')).statusCode, 200)
  const id = readKey.split('_')[1]
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: auth() })).statusCode, 204)
  t.equal((await b.get('/ui')).statusCode, 303, 'a revoked key\'s session stops working')
  t.equal((await b.signIn(readKey)).statusCode, 401, 'and the key cannot sign in again')

  // An admin session sees the admin pages; signing out ends it.
  const admin = browser(app)
  t.equal((await admin.signIn(adminKey)).statusCode, 303)
  const keys = await admin.get('/ui/keys')
  t.equal(keys.statusCode, 200)
  t.match(keys.body, /helpdesk/)
  const audit = await admin.get('/ui/audit')
  t.equal(audit.statusCode, 200)
  t.match(audit.body, /ui\.sign_in/, 'sign-ins are in the audit log')
  const page = await admin.get('/ui')
  const cookie = admin.jar[SESSION_COOKIE]
  t.equal((await admin.post('/ui/sign-out', {})).statusCode, 403, 'sign-out needs the CSRF token too')
  const out = await admin.post('/ui/sign-out', { _csrf: csrfField(page.body) })
  t.equal(out.statusCode, 303)
  t.equal(out.headers.location, '/ui/sign-in')
  t.equal(cookieOf(out, SESSION_COOKIE)?.value, '', 'the cookie is cleared')
  const replay = await app.inject({ url: '/ui', cookies: { [SESSION_COOKIE]: cookie } })
  t.equal(replay.statusCode, 303, 'and the old cookie opens nothing any more')
  const late = await app.inject({ method: 'POST', url: '/ui/sign-out', cookies: { [SESSION_COOKIE]: cookie }, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })
  t.equal(late.statusCode, 401, 'a form posted without a session is answered, not redirected')

  for (const res of [form, overview, keys, audit, page]) {
    t.notOk(res.body.includes(adminKey) || res.body.includes(readKey.slice(`dgk_${id}_`.length)), 'no key secret in any page')
  }
})

t.test('failed sign-ins are counted per address', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false, env: { DEPGATE_AUTH_FAILURE_LIMIT: '2', DEPGATE_UI_INSECURE_COOKIES: 'true' } })
  const b = browser(app)
  const form = await b.get('/ui/sign-in')
  t.equal(cookieOf(form, CSRF_COOKIE)?.secure, undefined, 'DEPGATE_UI_INSECURE_COOKIES: no Secure flag for a plain-HTTP lab')
  const token = csrfField(form.body)
  t.equal((await b.post('/ui/sign-in', { key: 'dgk_000000000000_nope', _csrf: token })).statusCode, 401)
  t.equal((await b.post('/ui/sign-in', { key: 'not-a-key', _csrf: token })).statusCode, 401)
  const refused = await b.post('/ui/sign-in', { key: 'not-a-key', _csrf: token })
  t.equal(refused.statusCode, 429)
  t.match(refused.body, /Too many failed sign-ins/)

  const { app: empty, adminKey } = await buildTestApp(t, { simulator: false })
  const admin = browser(empty)
  await admin.signIn(adminKey)
  t.match((await admin.get('/ui')).body, /No DEP server is configured yet/, 'an install without a server says how to add one')
})

t.test('after sign-in only a dashboard path of this origin is followed', async (t) => {
  t.equal(safeNext(undefined), '/ui')
  t.equal(safeNext('/ui/servers/default/devices?os=iOS'), '/ui/servers/default/devices?os=iOS')
  t.equal(safeNext('/ui'), '/ui')
  t.equal(safeNext('/ui?x=1'), '/ui?x=1')
  t.equal(safeNext('//evil.example/ui'), '/ui')
  t.equal(safeNext('/ui//evil.example'), '/ui')
  t.equal(safeNext('/ui/\\evil.example'), '/ui')
  t.equal(safeNext('https://evil.example/ui'), '/ui')
  t.equal(safeNext('/uix'), '/ui')
})
