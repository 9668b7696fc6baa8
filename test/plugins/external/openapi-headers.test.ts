/**
 * The document lists the headers each answer carries (derived from the routes' config by
 * plugins/external/openapi-headers.ts), the media types each route serves, and the pass-through's
 * open shape; and the running app sends what the document says.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { documentResponses, headersFor, HEADER_COMPONENTS, openErrorDescription, ROUTE_FACTS_KEY, routeFacts } from '../../../plugins/external/openapi-headers.js'
import { forwardableHeaders } from '../../../src/api/passthrough.js'
import { OPENAPI_FILE } from '../../../src/openapi.js'
import { buildTestApp } from '../../helper.js'

interface Response { headers?: Record<string, { $ref: string }>, content?: Record<string, { schema?: unknown, example?: unknown }>, description?: string }
interface Operation { operationId: string, security?: unknown[], requestBody?: unknown, parameters?: Array<{ in: string, name: string, example?: unknown }>, responses: Record<string, Response> }
interface Doc {
  info: { license?: unknown, contact?: unknown }
  servers?: unknown
  paths: Record<string, Record<string, Operation>>
  components: { headers: Record<string, unknown> }
}

const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc
const operations = Object.values(doc.paths).flatMap((item) => Object.entries(item).map(([method, op]) => ({ method, op })))
const byId = (id: string): Operation => {
  const found = operations.find(({ op }) => op.operationId === id)
  if (found === undefined) throw new Error(`no operation ${id}`)
  return found.op
}
const names = (res: Response | undefined): string[] => Object.keys(res?.headers ?? {})
const component = (res: Response | undefined, header: string): string | undefined => res?.headers?.[header]?.$ref.replace('#/components/headers/', '')
const required = (name: string | undefined): boolean => (HEADER_COMPONENTS[name ?? ''] as { required?: boolean } | undefined)?.required === true

t.test('servers, license and contact', async (t) => {
  t.same(doc.servers, [{ url: '/' }])
  t.same(doc.info.license, { name: 'MIT', identifier: 'MIT' })
  t.match(doc.info.contact, { name: String })
})

t.test('every answer lists the headers its route sends', async (t) => {
  const used = new Set<string>()
  for (const { method, op } of operations) {
    const where = `${method.toUpperCase()} ${op.operationId}`
    const rateLimited = Array.isArray(op.security) && op.security.length > 0
    for (const [status, res] of Object.entries(op.responses)) {
      for (const header of Object.values(res.headers ?? {})) used.add(header.$ref.replace('#/components/headers/', ''))
      const has = names(res)
      const open = op.operationId.match(/^apple[A-Z]/) !== null
      for (const header of ['X-Request-Id', 'Cache-Control', 'X-Content-Type-Options']) {
        t.ok(required(component(res, header)), `${where} ${status}: ${header}, on every answer`)
      }
      t.equal(has.includes('RateLimit') && has.includes('RateLimit-Policy'), rateLimited && status !== '401', `${where} ${status}: rate-limit fields when limited`)
      // Required where the limit always counted the request: not where auth refused it first or the server was closing.
      const always = !['403', '429', '500', '503'].includes(status)
      if (rateLimited && status !== '401') {
        t.equal(required(component(res, 'RateLimit')) && required(component(res, 'RateLimit-Policy')), always, `${where} ${status}: rate-limit fields required unless refused before counting`)
      }
      t.equal(has.includes('WWW-Authenticate'), status === '401', `${where} ${status}: WWW-Authenticate on 401`)
      if (status === '401') t.equal(required(component(res, 'WWW-Authenticate')), !open, `${where}: Apple's 401 through the pass-through has none`)
      t.equal(has.includes('Allow'), status === '405', `${where} ${status}: Allow on 405`)
      const problem = res.content?.['application/problem+json'] !== undefined
      t.equal(has.includes('Retry-After'), problem && ['429', '503'].includes(status), `${where} ${status}: Retry-After on a 429 or 503 problem`)
      if (status === '429') t.equal(res.headers?.['Retry-After'].$ref.endsWith('/RetryAfter'), !open, `${where}: every 429 of depgate's says how long`)
    }
  }
  t.same([...used].sort(), Object.keys(HEADER_COMPONENTS).sort(), 'every header component is used')
  for (const id of ['listDevices', 'getDevice', 'listDeviceChanges', 'getDeviceSummary']) {
    const sent = names(byId(id).responses['200'])
    t.ok(sent.includes('X-Depgate-Source') && sent.includes('X-Depgate-Synced-At'), `${id} says who answered, and when the mirror synced`)
  }
  t.ok(names(byId('listDevices').responses['200']).includes('X-Depgate-Next-Page-Token'))
  t.ok(names(byId('listDevices').responses['200']).includes('Content-Disposition'), 'CSV is a file')
  t.ok(names(byId('createCertificate').responses['201']).includes('Location'))
  t.notOk(names(byId('getCertificate').responses['200']).includes('Location'), 'Location only where something is created')
  for (const [id, status] of [['putServer', '201'], ['importToken', '201'], ['syncServer', '202']]) {
    t.ok(required(component(byId(id).responses[status], 'Location')), `${id} ${status}: Location`)
  }
  for (const [id, status] of [['putServer', '200'], ['importToken', '200'], ['syncServer', '200']]) {
    t.notOk(names(byId(id).responses[status]).includes('Location'), `${id} ${status}: nothing created or accepted, no Location`)
  }
  t.notOk(names(byId('getReadiness').responses['503']).includes('Retry-After'), 'the readiness report is no problem with Retry-After')
  t.same(names(byId('getLiveness').responses['200']), ['X-Request-Id', 'Cache-Control', 'X-Content-Type-Options'], 'not rate limited')
})

t.test('every media type served is in the document', async (t) => {
  t.same(Object.keys(byId('getMetrics').responses['200'].content ?? {}), ['text/plain; version=0.0.4'])
  t.same(Object.keys(byId('getReadiness').responses['503'].content ?? {}), ['application/json'], '/readyz\'s 503 is its JSON report')
  for (const id of ['getCertificate', 'createCertificate']) {
    const ok = byId(id).responses[id === 'getCertificate' ? '200' : '201']
    t.same(Object.keys(ok.content ?? {}), ['application/json', 'application/x-pem-file'], `${id}: JSON or PEM`)
  }
  t.same(Object.keys(byId('listDevices').responses['200'].content ?? {}), ['application/json', 'application/x-ndjson', 'text/csv'], 'NDJSON\'s other names are taken in Accept but served as application/x-ndjson: not listed')
})

t.test('the pass-through is described as it behaves', async (t) => {
  const item = doc.paths['/v1/servers/{server}/apple/{path}']
  t.same(Object.keys(item).sort(), ['delete', 'get', 'head', 'post', 'put'], 'no PATCH, OPTIONS or TRACE: they only answer 405')
  for (const [method, op] of Object.entries(item)) {
    t.equal(op.requestBody !== undefined, !['get', 'head'].includes(method), `${method}: a request body where the method has one`)
    const ok = op.responses['2XX']
    t.ok(ok, `${method}: any 2xx`)
    t.same(ok.content, method === 'head' ? undefined : { '*/*': { schema: {} } }, `${method}: Apple's body, open`)
    t.ok(op.responses['400'].content?.['text/plain'], `${method}: Apple's plain-text errors`)
    const unauthorized = op.responses['401']
    t.same(Object.keys(unauthorized.content ?? {}), ['application/problem+json', 'text/plain'])
    t.match(unauthorized.description, /depgate's own refusal, always `application\/problem\+json` with a `code`.*Apple's own error.*never a problem.*`text\/plain`/)
    t.match(unauthorized.description, /depgate's 401 \(`code` UNAUTHENTICATED.*\) carries WWW-Authenticate; Apple's \(`UNAUTHORIZED`.*\) carries none/, `${method}: which 401 is whose`)
    t.equal(unauthorized.content?.['text/plain'].example, 'UNAUTHORIZED')
    t.match(op.parameters?.find((p) => p.name === 'path'), { in: 'path', example: 'devices/sync' })
  }
})

t.test('headersFor and documentResponses cope with every shape', async (t) => {
  t.same(routeFacts(undefined), { rateLimited: true, authenticated: true, open: false, sends: [], files: false })
  const every = ['X-Request-Id', 'Cache-Control', 'X-Content-Type-Options']
  const facts = routeFacts({ produces: ['text/csv'], sends: ['Location', 'X-Depgate-Source'] })
  t.same(Object.keys(headersFor(facts, '201', false)), [...every, 'RateLimit-Policy', 'RateLimit', 'Location', 'X-Depgate-Source', 'Content-Disposition'])
  t.same(Object.keys(headersFor(facts, '200', false)), [...every, 'RateLimit-Policy', 'RateLimit', 'X-Depgate-Source', 'Content-Disposition'])
  t.same(Object.keys(headersFor(facts, '503', false)), [...every, 'RateLimit-Policy', 'RateLimit'])
  const refs = (headers: Record<string, { $ref: string }>): string[] => Object.values(headers).map((h) => h.$ref.replace('#/components/headers/', ''))
  t.same(refs(headersFor(facts, '403', true)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'RateLimitPolicyWhenCounted', 'RateLimitWhenCounted', 'XDepgateSourceWhenChosen'], 'a 403 may be the scope refusal, before the limit counts; a failed read says its source')
  t.same(refs(headersFor(facts, '500', true)).slice(3), ['RateLimitPolicyWhenCounted', 'RateLimitWhenCounted', 'XDepgateSourceWhenChosen'], 'a 500 may come from reading the key')
  t.same(refs(headersFor(facts, '404', true)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'RateLimitPolicy', 'RateLimit', 'XDepgateSourceWhenChosen'])
  t.notOk('X-Depgate-Source' in headersFor(facts, '406', true), 'a 406 comes before the read chooses its source')
  const versioned = routeFacts({ sends: ['ETag'] })
  t.same(refs(headersFor(versioned, '412', true)).slice(-1), ['ETagCurrent'], 'an If-Match refusal says the current version')
  t.same(refs(headersFor(versioned, '428', true)).slice(-1), ['ETagCurrent'])
  t.notOk('ETag' in headersFor(versioned, '404', true), 'no version on other refusals')
  const open = routeFacts({ scope: 'none', produces: ['*/*'] })
  t.same(refs(headersFor(open, '429', true)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'RateLimitPolicy', 'RateLimit', 'RetryAfterWhenKnown'], 'no key to refuse first on a public route: every 429 is the limit\'s')
  t.same(refs(headersFor(open, '401', true)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'WWWAuthenticateOwn'])
  t.same(refs(headersFor(open, '405', true)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'RateLimitPolicy', 'RateLimit', 'Allow'])
  t.same(refs(headersFor(open, '405', false)), ['XRequestId', 'CacheControl', 'XContentTypeOptions', 'RateLimitPolicy', 'RateLimit'], 'Allow only on a problem')
  t.notMatch(openErrorDescription('404', 'Not Found'), /WWW-Authenticate/, 'only the 401 speaks of WWW-Authenticate')
  t.match(openErrorDescription('401', 'Unauthorized'), /^Unauthorized: .*depgate's 401 .* carries WWW-Authenticate; Apple's .* carries none\.$/)
  t.same(documentResponses({}), { components: { headers: HEADER_COMPONENTS } })
  const bare = documentResponses({
    paths: {
      '/a': {
        get: { responses: {} },
        post: { [ROUTE_FACTS_KEY]: routeFacts({ produces: ['*/*'] }) },
        put: { [ROUTE_FACTS_KEY]: routeFacts({ produces: ['*/*'] }), parameters: [{ in: 'query', name: 'path' }], responses: { 204: {}, 404: {} } },
        patch: { [ROUTE_FACTS_KEY]: routeFacts({}) }
      }
    },
    components: { headers: { Other: {} } }
  }) as unknown as Doc
  t.same(bare.paths['/a'].get, { responses: {} }, 'an operation without facts is left as it is')
  t.same(Object.keys(bare.paths['/a'].post.responses), ['2XX'])
  t.match(bare.paths['/a'].put.responses['404'], { description: /^404: either depgate's own refusal/ })
  t.same(bare.paths['/a'].put.responses['204'].content, undefined, 'a success the route declares is left as it is')
  t.same(bare.paths['/a'].patch, {}, 'no responses, no headers')
  t.same(bare.paths['/a'].put.parameters, [{ in: 'query', name: 'path' }], 'only the path parameter is described')
  t.ok(bare.components.headers.Other, 'existing components kept')
})

t.test('the app sends what the document says', async (t) => {
  const { app, auth, createKey } = await buildTestApp(t, { simulator: false })
  const ok = await app.inject({ url: '/v1/servers', headers: auth() })
  t.equal(ok.statusCode, 200)
  const security = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }
  t.match(ok.headers, { 'x-request-id': String, ratelimit: /^"default";r=\d+;t=\d+$/, 'ratelimit-policy': /^"default";q=\d+;w=60$/, ...security })
  const refused = await app.inject({ url: '/v1/servers' })
  t.equal(refused.statusCode, 401)
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="depgate"')
  t.match(refused.headers, security)
  t.notOk('ratelimit' in refused.headers, 'a 401 is answered before the rate limit counts')
  const scope = await app.inject({ method: 'DELETE', url: '/v1/servers/default', headers: auth(await createKey('read')) })
  t.equal(scope.statusCode, 403)
  t.match(scope.headers, security)
  t.notOk('ratelimit' in scope.headers, 'so is a 403 for the key\'s scope: the fields are optional on 403')
  const invalid = await app.inject({ url: '/v1/servers/Bad_Name', headers: auth() })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.headers, { ratelimit: String, 'ratelimit-policy': String, ...security }, 'any refusal after the count carries them')
  const metrics = await app.inject('/metrics')
  t.match(metrics.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.notOk('ratelimit' in metrics.headers)
  const created = await app.inject({ method: 'POST', url: '/v1/servers/spare/certificate', headers: auth() })
  t.equal(created.statusCode, 201)
  t.equal(created.headers.location, '/v1/servers/spare/certificate')
  const pem = await app.inject({ url: '/v1/servers/spare/certificate', headers: { ...auth(), accept: 'application/x-pem-file' } })
  t.match(pem.headers, { 'content-type': /^application\/x-pem-file/, 'content-disposition': /^attachment; filename=/ })
})

t.test('the pass-through sends depgate\'s own every-answer headers, never Apple\'s same-named ones', async (t) => {
  const apple = {
    'Content-Type': 'text/plain',
    'Retry-After': '30',
    'X-Request-Id': 'apple-1',
    RateLimit: '"apple";r=1;t=1',
    'RateLimit-Policy': '"apple";q=2;w=1',
    'Cache-Control': 'max-age=3600',
    'X-Content-Type-Options': 'nosniff',
    'WWW-Authenticate': 'OAuth',
    Date: 'x'
  }
  t.same(forwardableHeaders(apple), { 'content-type': 'text/plain', 'retry-after': '30' })
})
