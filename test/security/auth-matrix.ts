/**
 * The auth matrix, generated from the registered routes (run by battery-*.test.ts on each database).
 */
import type { RouteOptions } from 'fastify'
import type { Test } from 'tap'
import { generateApiKey } from '../../src/api-key-secrets.js'
import type { Scope } from '../../src/scopes.js'
import type { TestDialect } from '../databases.js'
import { buildTestApp } from '../helper.js'

/** Routes that may be public; anything else declaring `none` fails the test. */
const PUBLIC = [/^\/$/, /^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/|$)/]
/** Dashboard routes without a session: the sign-in form and the stylesheet, script and icon. */
const UI_PUBLIC = [/^\/ui\/sign-in$/, /^\/ui\/assets\/:name$/]

const PARAMS: Record<string, string> = { server: 'default', serial: 'C02TESTSERIAL', uuid: '0f2e4b1a9c7d4e8f', id: 'aaaaaaaaaaaa' }
function concrete (url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => PARAMS[name] ?? 'x').replace(/\*$/, 'account')
}

/** Every route with every kind of missing, wrong and too weak key: 401 or 403, never an answer. */
export async function authMatrix (t: Test, dialect: TestDialect): Promise<void> {
  const routes: RouteOptions[] = []
  // Hundreds of failures from one address: the guessing limit (guessing.ts) must not answer first.
  const { app, store, createKey, auth } = await buildTestApp(t, { dialect, onRoute: (r) => { routes.push(r) }, env: { DEPGATE_AUTH_FAILURE_LIMIT: '1000000' } })
  const keys: Record<Scope, string> = { read: await createKey('read'), write: await createKey('write'), admin: await createKey('admin') }
  const revoked = generateApiKey()
  await store.keys.create({ id: revoked.id, label: 'gone', scope: 'admin', hash: revoked.hash })
  await store.keys.revoke(revoked.id)
  const wrongSecret = keys.admin.slice(0, -4) + (keys.admin.endsWith('AAAA') ? 'BBBB' : 'AAAA')

  const seen = new Set<string>()
  let checked = 0
  for (const route of routes) {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      const key = `${method} ${route.url}`
      if (seen.has(key)) continue
      seen.add(key)
      const scope = route.config?.scope ?? 'admin'
      // The dashboard authenticates by session cookie, not by key (routes/ui): without one, a page
      // sends the browser to the sign-in form and a form post is refused; an API key opens nothing.
      if (route.url.startsWith('/ui') && scope === 'none') {
        const ui = (route.config as { ui?: { public?: true } } | undefined)?.ui
        if (ui?.public === true) {
          t.ok(UI_PUBLIC.some((p) => p.test(route.url)), `${key} is public on purpose`)
          continue
        }
        const res = await app.inject({ method: method as 'GET', url: concrete(route.url), headers: auth(keys.admin) })
        t.equal(res.statusCode, method === 'GET' ? 303 : 401, `${key}: no session, even with an admin key → ${method === 'GET' ? 'the sign-in page' : '401'}`)
        checked++
        continue
      }
      if (scope === 'none') {
        t.ok(PUBLIC.some((p) => p.test(route.url)), `${key} is public on purpose`)
        continue
      }
      const url = concrete(route.url)
      const call = (headers: Record<string, string>) => app.inject({ method: method as 'GET', url, headers })
      for (const [why, headers] of [
        ['no key', {}],
        ['unknown key', auth('dgk_000000000000_' + 'A'.repeat(43))],
        ['wrong secret', auth(wrongSecret)],
        ['revoked key', auth(revoked.key)],
        ['not a bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
        ['wrong bootstrap key', auth('x'.repeat(40))]
      ] as Array<[string, Record<string, string>]>) {
        const res = await call(headers)
        t.equal(res.statusCode, 401, `${key}: ${why} → 401`)
        t.equal(res.json().code, 'UNAUTHENTICATED')
        t.match(res.headers['www-authenticate'], /^Bearer/)
      }
      const lower: Scope | undefined = scope === 'admin' ? 'write' : scope === 'write' ? 'read' : undefined
      if (lower !== undefined) {
        const res = await call(auth(keys[lower]))
        t.equal(res.statusCode, 403, `${key}: ${lower} key → 403`)
        t.equal(res.json().code, 'INSUFFICIENT_SCOPE')
      }
      checked++
    }
  }
  t.ok(checked >= 8, `checked ${checked} routes`)
  t.ok([...seen].includes('GET /healthz') && [...seen].includes('DELETE /v1/keys/:id'), 'the collection saw the core routes')
}
