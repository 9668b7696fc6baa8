// @slow: fuzzes every route (minutes under load)
/**
 * Fuzzing every registered route (collected with onRoute, so a new route is fuzzed without editing
 * this file): path parameters, query strings and JSON bodies from fast-check arbitraries (random
 * JSON, control characters and non-ASCII, huge numbers, wrong types, deep nesting), sometimes
 * close to valid so the request gets past validation to Apple (the simulator). Property: never a
 * 5xx, and every 4xx is application/problem+json (an HTML page on the dashboard, fuzzed signed in).
 * New routes (webhooks, orgs, jobs, the dashboard) join by registering. Seeded; the seed is
 * printed on failure.
 */
import type { RouteOptions } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { buildTestApp } from '../helper.js'
import { browser } from '../routes/ui/jar.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261125)
const RUNS = 10

const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\r\n', '../..', '%', '%zz', '%00', '\u202e', '𝕏', 'a'.repeat(3000), '-1', '1e309', '0x10', 'NaN', 'null', '[]', '{}')
)
const hugeNumber = fc.oneof(fc.double(), fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, -0))
const deep = fc.nat({ max: 400 }).map((n) => {
  let v: unknown = 'x'
  for (let i = 0; i < n; i++) v = i % 2 === 0 ? [v] : { a: v }
  return v
})
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), deep, hugeNumber, nasty)
const serials = fc.array(fc.oneof(nasty, fc.constantFrom('C02TESTSERIAL', 'F9FXK1ABCDEF')), { maxLength: 5 })
/** Bodies shaped like the real ones with wrong or odd values, so some get past validation. */
const nearValid = fc.record({
  serials,
  devices: serials,
  profile_name: nasty,
  url: fc.oneof(nasty, fc.constant('https://mdm.example.com/enroll')),
  label: nasty,
  scope: fc.oneof(nasty, fc.constantFrom('read', 'write', 'admin')),
  escrow_key: fc.oneof(nasty, fc.constant('a'.repeat(64))),
  mdm_service_discovery_url: fc.oneof(nasty, fc.constant('https://mdm.example.com/ade')),
  confirm: nasty,
  token: anyJson,
  is_supervised: anyJson,
  // Webhook subscriptions and org accounts.
  events: fc.oneof(anyJson, fc.array(fc.oneof(nasty, fc.constantFrom('*', 'device.added', 'token.expiring')), { maxLength: 30 })),
  servers: fc.oneof(anyJson, fc.array(fc.oneof(nasty, fc.constant('*')), { maxLength: 120 })),
  description: nasty,
  enabled: anyJson,
  client_id: fc.oneof(nasty, fc.constantFrom('BUSINESSAPI.x', 'SCHOOLAPI.x')),
  key_id: nasty,
  private_key: fc.oneof(nasty, fc.constant('-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----')),
  base_url: fc.oneof(nasty, fc.constantFrom('https://u:p@api.example.com', 'http://127.0.0.1:1')),
  token_url: nasty
}, { requiredKeys: [] })
const body = fc.oneof(anyJson, nearValid)
const param = fc.oneof(nasty, fc.constantFrom('default', 'C02TESTSERIAL', '0123456789abcdef0123456789abcdef', 'nope'))
const query = fc.dictionary(fc.oneof(nasty, fc.constantFrom('cursor', 'serial', 'os', 'limit', 'source', 'sort', 'page_token', 'since')), nasty, { maxKeys: 4 })

const PASS_THROUGH = /\/apple\/\*$/
/** The dashboard answers people: its refusals are HTML pages (test/routes/ui), never a 5xx either. */
const DASHBOARD = /^\/ui(\/|$)/
/** Routes that would end the test's own server or need a file upload; their validation is fuzzed elsewhere. */
const SKIP = [/^DELETE \/v1\/servers\/:server$/, /\/docs/, /^GET \/openapi\.json$/, /^(GET|HEAD) \/(healthz|readyz|metrics)$/]

t.test('no route answers a 5xx or a 4xx without problem+json, whatever it is sent', async (t) => {
  const routes: RouteOptions[] = []
  const { app, auth, adminKey } = await buildTestApp(t, { onRoute: (r) => { routes.push(r) }, env: { DEPGATE_RATE_LIMIT: '1000000', DEPGATE_MIRROR: 'false' } })
  // Signed in, so the dashboard's handlers are fuzzed, not only its session check.
  const ui = browser(app)
  await ui.signIn(adminKey)
  const seen = new Set<string>()
  for (const route of routes) {
    for (const method of [route.method].flat()) {
      const name = `${method} ${route.url}`
      if (method === 'HEAD' || seen.has(name) || SKIP.some((r) => r.test(name))) continue
      seen.add(name)
      await fc.assert(fc.asyncProperty(fc.array(param, { minLength: 3, maxLength: 3 }), query, fc.option(body, { nil: undefined }), async (params, q, payload) => {
        let i = 0
        const path = route.url.replace(/:\w+/g, () => encodeURIComponent(params[i++ % 3])).replace('*', encodeURIComponent(params[0]))
        const qs = new URLSearchParams(q).toString()
        const res = await app.inject({
          method: method as 'GET',
          url: qs === '' ? path : `${path}?${qs}`,
          headers: { ...auth(), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          cookies: DASHBOARD.test(route.url) ? ui.jar : {},
          ...(payload === undefined ? {} : { payload: JSON.stringify(payload) })
        })
        if (res.statusCode >= 500) throw new Error(`${name}: ${res.statusCode} ${res.body.slice(0, 300)}`)
        // The pass-through hands back Apple's own answer, whatever its type (see its route docs).
        const type = String(res.headers['content-type'])
        if (res.statusCode >= 400 && DASHBOARD.test(route.url)) {
          if (!type.startsWith('text/html')) throw new Error(`${name}: ${res.statusCode} as ${type}`)
        } else if (res.statusCode >= 400 && !PASS_THROUGH.test(route.url) && !type.startsWith('application/problem+json')) {
          throw new Error(`${name}: ${res.statusCode} as ${type}`)
        }
      }), { numRuns: RUNS, seed: SEED })
    }
  }
  t.ok(seen.size >= 20, `fuzzed ${seen.size} routes × ${RUNS} requests (seed ${SEED}; FUZZ_SEED=… to change it)`)
})
