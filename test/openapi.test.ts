import { readFileSync } from 'node:fs'
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { generateOpenApi, OPENAPI_FILE } from '../src/openapi.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'

type Operation = {
  summary?: string
  description?: string
  security?: unknown[]
  requestBody?: unknown
  parameters?: unknown[]
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string, allOf?: Array<{ $ref?: string }> } }> }>
}

const PUBLIC = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json'])

t.test('the committed document is current, valid, and complete', async (t) => {
  const text = await generateOpenApi()
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), text, `${OPENAPI_FILE} is stale: run "npm run openapi" and commit it`)
  const doc = JSON.parse(text) as { openapi: string, paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, unknown> } }
  t.equal(doc.openapi, '3.1.0')
  await SwaggerParser.validate(structuredClone(doc) as never)
  t.ok(doc.components.schemas.Problem, 'a shared Problem schema')

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`
      t.ok((op.summary ?? '').length > 0, `${name} has a summary`)
      t.ok((op.description ?? '').length > 20, `${name} has a description`)
      if (PUBLIC.has(path)) {
        t.same(op.security, [], `${name} is public`)
        continue
      }
      t.same(op.security, [{ bearerAuth: [] }], `${name} declares bearer security`)
      // Every key has at least `read`: a read route refuses with 403 only what Apple refuses (it asks Apple: 504).
      const refuses = !(op.description ?? '').includes('with the `read` scope') || op.responses['504'] !== undefined
      t.equal(op.responses['403'] !== undefined, refuses, `${name} documents 403 only if a key can be too weak or Apple can refuse`)
      for (const status of refuses ? ['401', '403'] : ['401']) {
        // The Problem, narrowed to the codes the operation answers with (src/api/problem-docs.ts).
        t.equal(op.responses[status]?.content?.['application/problem+json']?.schema?.allOf?.[0]?.$ref, '#/components/schemas/Problem', `${name} ${status} is a Problem`)
      }
      const own = JSON.stringify(op)
      const refs = [...own.matchAll(/#\/components\/schemas\/(\w+)/g)].map((m) => JSON.stringify(doc.components.schemas[m[1]]))
      const success = Object.keys(op.responses).some((s) => s === '204') || [own, ...refs].some((s) => s.includes('"example'))
      t.ok(success, `${name} has examples`)
    }
  }

  const secretShapes = [/dgk_[a-f0-9]{12}_[A-Za-z0-9_-]{43}/, /(CK|CS|AT|AS)_[0-9a-f]{16,}/, new RegExp(DEPSIM_CREDENTIALS.consumer_secret)]
  for (const shape of secretShapes) t.notMatch(text, shape, `no secret-shaped value (${String(shape)})`)
})

t.test('a schema id collision is explained with its fix', async (t) => {
  const { explainCollision } = await import('../plugins/external/swagger.js')
  t.throws(() => explainCollision(() => { throw new Error('Collision detected for schema "ThingInput". There is already an input schema with the same name.') }),
    /schema id "ThingInput" collides with the input-side name .* schema "Thing".* Rename the schema registered as "ThingInput", e.g. to "ThingDefinition"/)
  t.throws(() => explainCollision(() => { throw new Error('other') }), /^other$/)
  t.equal(explainCollision(() => 1), 1)
})

t.test('finishDocument copes with bare documents and operations', async (t) => {
  const { finishDocument } = await import('../plugins/external/swagger.js')
  type Doc = Parameters<typeof finishDocument>[0]
  t.same(finishDocument({ openapi: '3.1.0' } as unknown as Doc), { openapi: '3.1.0', paths: {} })
  const doc = finishDocument({
    openapi: '3.1.0',
    paths: {
      '/a/{*}': {
        get: { parameters: [{ in: 'query', name: '*' }, { in: 'path', name: '*' }], responses: { 200: { description: 'Fine' }, 404: { description: 'Default Response', content: { 'text/plain': {} } } } },
        query: { responses: {} },
        post: {}
      }
    }
  } as unknown as Doc) as unknown as { paths: Record<string, Record<string, { parameters?: unknown[], responses?: Record<string, unknown> }>> }
  t.same(Object.keys(doc.paths), ['/a/{path}'])
  t.same(Object.keys(doc.paths['/a/{path}']), ['get', 'post'])
  t.same(doc.paths['/a/{path}'].get.parameters, [{ in: 'query', name: '*' }, { in: 'path', name: 'path' }])
  t.same(doc.paths['/a/{path}'].get.responses, { 200: { description: 'Fine' }, 404: { description: 'Not Found', content: { 'text/plain': {} } } })
})

t.test('unused component schemas are pruned, transitive ones kept', async (t) => {
  const { pruneUnusedSchemas } = await import('../plugins/external/swagger.js')
  type Doc = Parameters<typeof pruneUnusedSchemas>[0]
  const bare = { openapi: '3.1.0' } as unknown as Doc
  t.equal(pruneUnusedSchemas(bare), bare)
  const doc = pruneUnusedSchemas({
    openapi: '3.1.0',
    paths: { '/a': { get: { responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } } } } } },
    components: { schemas: { A: { properties: { b: { $ref: '#/components/schemas/B' } } }, B: { type: 'string', self: { $ref: '#/components/schemas/B' } }, AInput: {}, C: {} } }
  } as unknown as Doc) as unknown as { components: { schemas: Record<string, unknown> } }
  t.same(Object.keys(doc.components.schemas), ['A', 'B'])
})
