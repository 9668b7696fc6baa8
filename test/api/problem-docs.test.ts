import t from 'tap'
import { z } from 'zod'
import { APPLE_CALL, documentProblemCodes, exampleName, PROBLEM_METHODS_KEY, PROBLEMS_KEY, routeProblemCodes, withProblemCodes } from '../../src/api/problem-docs.js'
import { noQuerySchema } from '../../src/api/strict-input.js'

const PROBLEM = { $ref: '#/components/schemas/Problem' }

t.test('a route\'s codes follow from what it declares', async (t) => {
  const open = routeProblemCodes({ config: { scope: 'none', rateLimit: false, produces: ['*/*'] }, schema: { querystring: noQuerySchema } })
  t.same(open.sort(), ['BAD_REQUEST', 'INTERNAL', 'SHUTTING_DOWN', 'UNKNOWN_PARAMETER'], 'a public route taking nothing')
  const steady = routeProblemCodes({ config: { scope: 'none', rateLimit: false, neverFails: true }, schema: { querystring: noQuerySchema } })
  t.notOk(steady.includes('INTERNAL'), 'a public route that reads nothing fallible documents no 500')
  t.ok(routeProblemCodes({ config: { scope: 'read', neverFails: true } }).includes('INTERNAL'), 'a keyed route reads the key\'s record: a 500 is always possible')

  const full = routeProblemCodes({
    config: { scope: 'write', problems: ['CONFIG_NAME_REQUIRED'] },
    schema: { body: z.object({}), response: { 200: {}, 504: {} } }
  })
  for (const code of ['UNAUTHENTICATED', 'RATE_LIMITED', 'NOT_ACCEPTABLE', 'VALIDATION_FAILED', 'MALFORMED_JSON', 'SERVER_NOT_FOUND', 'CONFIG_NAME_REQUIRED', ...APPLE_CALL]) {
    t.ok(full.includes(code as never), `a keyed Apple route with a body answers ${code}`)
  }
  t.equal(new Set(full).size, full.length, 'each code once')

  const bare = routeProblemCodes({})
  t.ok(bare.includes('UNAUTHENTICATED'), 'no declared scope is admin, as the auth hook enforces')
  t.notOk(bare.includes('VALIDATION_FAILED'), 'no inputs, no validation')
  t.ok(bare.includes('INSUFFICIENT_SCOPE'), 'an admin route refuses a weaker key')
  t.ok(full.includes('INSUFFICIENT_SCOPE'), 'a write route refuses a read key')
  t.notOk(routeProblemCodes({ config: { scope: 'read' } }).includes('INSUFFICIENT_SCOPE'), 'every key has read: a read route refuses none for its scope')
  t.ok(routeProblemCodes({ schema: { querystring: z.object({ a: z.string() }) } }).includes('VALIDATION_FAILED'), 'a declared query is validated')
})

t.test('the per-route transform leaves the codes on the operation', async (t) => {
  const out = withProblemCodes({ schema: {}, route: { config: { scope: 'none' } } }, { schema: {} as Record<string, unknown> })
  t.ok((out.schema[PROBLEMS_KEY] as string[]).includes('INTERNAL'))
  t.ok((withProblemCodes({ schema: {} }, { schema: {} as Record<string, unknown> }).schema[PROBLEMS_KEY] as string[]).includes('UNAUTHENTICATED'))
})

t.test('the document gets each code where it is answered, with an example', async (t) => {
  const doc = {
    paths: {
      '/a/{server}/{other}': {
        get: {
          [PROBLEMS_KEY]: ['KEY_NOT_FOUND', 'UPSTREAM_THROTTLED', 'CLIENT_CLOSED_REQUEST', 'REQUEST_TIMEOUT', 'INTERNAL'],
          responses: { 200: { description: 'OK' }, 403: { description: 'Forbidden', content: { 'application/problem+json': { schema: PROBLEM } } }, 404: { description: 'Not Found', content: { 'application/problem+json': { schema: PROBLEM } } }, 500: { description: 'own body', content: { 'application/problem+json': { schema: { type: 'object' } } } } }
        },
        post: { [PROBLEMS_KEY]: ['INTERNAL'] },
        put: { responses: {} }
      }
    },
    components: { examples: { Other: { value: 1 } } }
  }
  documentProblemCodes(doc)
  const get = doc.paths['/a/{server}/{other}'].get as unknown as { responses: Record<string, { content?: Record<string, { schema: unknown, examples?: Record<string, unknown> }> }> }
  t.notOk(PROBLEMS_KEY in doc.paths['/a/{server}/{other}'].get, 'the marker is removed')
  t.same(Object.keys(get.responses), ['200', '404', '429', '500', '503'], 'statuses a code needs are added, in order; not a hung-up caller\'s, nor one answered before routing; a Problem status no code has (403) goes')
  const notFound = get.responses['404'].content?.['application/problem+json']
  t.same(notFound?.schema, { allOf: [PROBLEM, { type: 'object', properties: { code: { enum: ['KEY_NOT_FOUND'] } }, required: ['code'] }] })
  t.same(notFound?.examples, { KEY_NOT_FOUND: { $ref: '#/components/examples/KEY_NOT_FOUND' } })
  t.same(get.responses['503'].content?.['application/problem+json']?.examples, { UPSTREAM_THROTTLED: { $ref: '#/components/examples/UPSTREAM_THROTTLED_503' } })
  t.same(get.responses['500'].content?.['application/problem+json']?.schema, { type: 'object' }, 'a route\'s own error body is left as it is')
  t.ok((doc.paths['/a/{server}/{other}'].post as { responses?: object }).responses, 'an operation without responses gets them')
  t.same(Object.keys(doc.components.examples), ['INTERNAL', 'KEY_NOT_FOUND', 'Other', 'UPSTREAM_THROTTLED_429', 'UPSTREAM_THROTTLED_503'])
  t.match(doc.components.examples, { KEY_NOT_FOUND: { value: { type: 'urn:depgate:problem:key-not-found', title: 'Not Found', status: 404, code: 'KEY_NOT_FOUND', instance: '/a/default/other' } } })
  t.same(documentProblemCodes({}), { components: { examples: {} } }, 'a bare document')
  t.equal(exampleName('RATE_LIMITED', 429), 'RATE_LIMITED')
})

t.test('a several-method route lists a code only on the methods that can answer it', async (t) => {
  const config = { scope: 'admin' as const, problems: ['METHOD_NOT_ALLOWED', 'BODY_TOO_LARGE'] as const, problemMethods: { METHOD_NOT_ALLOWED: ['PUT'] } }
  const shared = withProblemCodes({ schema: {}, route: { config } }, { schema: {} as Record<string, unknown> }).schema
  t.same(shared[PROBLEM_METHODS_KEY], { METHOD_NOT_ALLOWED: ['PUT'] })
  const doc = { paths: { '/x': { get: structuredClone(shared), put: structuredClone(shared) } } }
  documentProblemCodes(doc)
  const statuses = (op: object) => Object.keys((op as { responses: object }).responses)
  t.notOk(statuses(doc.paths['/x'].get).includes('405'), 'GET is never refused')
  t.ok(statuses(doc.paths['/x'].put).includes('405'), 'PUT is')
  t.ok(statuses(doc.paths['/x'].get).includes('413'), 'a code no method list names stays on every method')
  t.notOk(PROBLEM_METHODS_KEY in doc.paths['/x'].put, 'the marker is removed')
})
