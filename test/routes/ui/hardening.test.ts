/**
 * The dashboard against an attacker: a sign-in `next` that is not a plain dashboard path (dot
 * segments, characters node refuses in a Location header) goes to the overview; every answer under
 * /ui, a 404 included, is an HTML page with the Content-Security-Policy; signing in ends the
 * session the browser carried and replaces its CSRF secret (a planted one is worthless); failed
 * sign-ins are counted per key id as well as per address; user-controlled text in error pages is
 * escaped.
 */
import t, { type Test } from 'tap'
import type { LightMyRequestResponse, RouteOptions } from 'fastify'
import { CONTENT_SECURITY_POLICY, CSRF_COOKIE, safeNext, SESSION_COOKIE } from '../../../routes/ui/index.js'
import { buildTestApp } from '../../helper.js'
import { browser, csrfField } from './jar.js'

const cookieOf = (res: LightMyRequestResponse, name: string) => res.cookies.find((c) => c.name === name)

t.test('next: only a dashboard path, as the URL parser reads it, percent-encoded', async (t) => {
  t.equal(safeNext('/ui/../v1/keys'), '/ui', 'dot segments leaving the dashboard')
  t.equal(safeNext('/ui/.%2e/.%2e//evil.example'), '/ui', 'encoded dot segments too')
  t.equal(safeNext('/ui/\u{1F4A5}?q=é'), '/ui/%F0%9F%92%A5?q=%C3%A9', 'non-ASCII is encoded, never raw in Location')
  t.equal(safeNext('/ui/a\r\nSet-Cookie: x=y'), '/ui/aSet-Cookie:%20x=y', 'CR and LF are dropped, as a browser would')
  t.equal(safeNext('/ui/devices#frag'), '/ui/devices', 'no fragment')
})

t.test('the dashboard as an attacker sees it', async (t) => {
  const routes: RouteOptions[] = []
  const { app, adminKey, createKey } = await buildTestApp(t, { simulator: false, env: { DEPGATE_AUTH_FAILURE_LIMIT: '3' }, onRoute: (r) => { routes.push(r) } })
  const isPage = (t: Test, res: LightMyRequestResponse, status: number, what: string) => {
    t.equal(res.statusCode, status, what)
    t.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, `${what}: with the CSP`)
    if (status !== 303) t.match(res.headers['content-type'], /^text\/html/, `${what}: a page`)
  }

  await t.test('a next the Location header cannot carry as is: no 500', async (t) => {
    const b = browser(app)
    const form = await b.get('/ui/sign-in')
    const res = await b.post(`/ui/sign-in?next=${encodeURIComponent('/ui/\u{1F4A5}')}`, { key: adminKey, _csrf: csrfField(form.body) })
    isPage(t, res, 303, 'sign-in')
    t.equal(res.headers.location, '/ui/%F0%9F%92%A5')
  })

  await t.test('every /ui answer is a page with the CSP, a 404 too', async (t) => {
    isPage(t, await app.inject('/ui/no-such-page'), 303, 'signed out, an unknown path: to the sign-in page')
    isPage(t, await app.inject({ method: 'POST', url: '/ui/no-such-page' }), 401, 'signed out, a POST to an unknown path')
    const b = browser(app)
    await b.signIn(adminKey)
    const missing = await b.get('/ui/no-such-page/<b>x</b>')
    isPage(t, missing, 404, 'signed in, an unknown path')
    t.match(missing.body, /There is no dashboard page at this address/)
    t.notMatch(missing.body, /<b>x/)
    const serial = await b.get('/ui/servers/default/devices/%3Cscript%3Ealert(1)%3C%2Fscript%3E')
    t.ok(serial.statusCode >= 400, 'a serial that is markup is refused')
    isPage(t, serial, serial.statusCode, 'a refused serial')
    t.notMatch(serial.body, /<script>alert/, 'and not echoed as markup')
    const server = await b.get('/ui/servers/%3Cimg%20src%3Dx%3E/devices')
    isPage(t, server, server.statusCode, 'a server name that is markup')
    t.notMatch(server.body, /<img src=x>/)
  })

  await t.test('every form a dashboard route takes needs its CSRF token, signed in or not', async (t) => {
    const forms = routes.filter((r) => r.url.startsWith('/ui') && [r.method].flat().some((m) => !['GET', 'HEAD'].includes(m)))
    t.ok(forms.length >= 2, `${forms.length} dashboard routes take a form`)
    const b = browser(app)
    await b.signIn(adminKey)
    for (const route of forms) {
      for (const method of [route.method].flat()) {
        const url = route.url.replace(/:\w+/g, 'x')
        const res = await app.inject({ method: method as 'POST', url, cookies: b.jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })
        // Before the form's own validation (preValidation): a forged form learns nothing of its fields.
        t.equal(res.statusCode, 403, `${method} ${route.url} without a token`)
        t.match(res.body, /Form expired/)
      }
    }
    t.equal((await b.get('/ui')).statusCode, 200, 'and the session is still open')
  })

  await t.test('signing in ends the session the browser carried and replaces a planted CSRF secret', async (t) => {
    // The attacker's secret, and a token of it: the sign-in page mints one for whatever secret the cookie holds.
    const planted = 'planted-by-an-attacker-0123456789'
    const plantedToken = async () => csrfField((await app.inject({ url: '/ui/sign-in', cookies: { [CSRF_COOKIE]: planted } })).body)
    const b = browser(app)
    await b.signIn(adminKey)
    const before = b.jar[SESSION_COOKIE]
    b.jar[CSRF_COOKIE] = planted
    const res = await b.post('/ui/sign-in', { key: adminKey, _csrf: await plantedToken() })
    t.equal(res.statusCode, 303, 'signed in with a token of the planted secret')
    const secret = cookieOf(res, CSRF_COOKIE)
    t.ok(secret !== undefined && secret.value !== planted, 'a new CSRF secret is set')
    t.not(b.jar[SESSION_COOKIE], before, 'a new session')
    t.equal((await app.inject({ url: '/ui', cookies: { [SESSION_COOKIE]: before } })).statusCode, 303, 'the earlier session is ended')
    const forged = await b.post('/ui/sign-out', { _csrf: await plantedToken() })
    t.equal(forged.statusCode, 403, 'a form forged with the planted secret is refused')
    const page = await b.get('/ui')
    const out = await b.post('/ui/sign-out', { _csrf: csrfField(page.body) })
    t.equal(out.statusCode, 303)
    t.equal(cookieOf(out, SESSION_COOKIE)?.value, '', 'sign-out clears the session cookie')
    t.equal(cookieOf(out, CSRF_COOKIE)?.value, '', 'and the CSRF secret')
  })

  await t.test('failed sign-ins are counted per key id too: guesses from many addresses stop', async (t) => {
    const key = await createKey('read', 'target')
    const b = browser(app)
    const form = await b.get('/ui/sign-in')
    const guess = async (address: string, tried: string) => await app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      remoteAddress: address,
      cookies: b.jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ key: tried, _csrf: csrfField(form.body) }).toString()
    })
    // A guess shaped like the key (same length and alphabet), its last character changed.
    const wrong = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) t.equal((await guess(address, wrong)).statusCode, 401)
    const refused = await guess('10.0.0.4', key)
    isPage(t, refused, 429, 'a fourth address, even with the right secret, while the key id\'s failures are spent')
    t.match(refused.body, /Too many failed sign-ins from this address or for this key/)
    t.equal((await guess('10.0.0.5', adminKey)).statusCode, 303, 'another key from another address signs in')
  })
})
