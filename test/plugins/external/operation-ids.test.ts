/**
 * Every operation of the committed document has an operationId that generated clients can name a
 * method after: present, camelCase, unique. (test/openapi.test.ts checks the file is current.)
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { finishDocument } from '../../../plugins/external/swagger.js'
import { OPERATION_IDS_KEY } from '../../../src/api/route-kit.js'
import { OPENAPI_FILE } from '../../../src/openapi.js'

type Paths = Record<string, Record<string, { operationId?: string }>>

/** Operations without an id, and ids used more than once, with where. */
function operationIdProblems (paths: Paths): string[] {
  const seen = new Map<string, string>()
  const problems: string[] = []
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`
      const id = op.operationId
      if (id === undefined) problems.push(`${where} has no operationId`)
      else if (!/^[a-z][a-zA-Z0-9]*$/.test(id)) problems.push(`${where}: operationId "${id}" is not camelCase`)
      else if (seen.has(id)) problems.push(`${where}: operationId "${id}" is also ${String(seen.get(id))}'s`)
      else seen.set(id, where)
    }
  }
  return problems
}

t.test('every operation of the document has its own camelCase operationId', async (t) => {
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Paths }
  t.same(operationIdProblems(doc.paths), [])
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId))
  for (const id of ['listDevices', 'getDevice', 'assignProfile', 'listDeviceChanges', 'syncServer', 'getServer', 'putServer', 'importToken', 'appleGet', 'applePost', 'getOpenApiDocument']) {
    t.ok(ids.includes(id), id)
  }
  t.notOk(ids.includes('appleOptions'), 'no OPTIONS/TRACE operation on the pass-through: they only answer 405')
})

t.test('the check finds a missing, a malformed and a colliding operationId', async (t) => {
  t.same(operationIdProblems({
    '/a': { get: { operationId: 'getA' }, post: {} },
    '/b': { get: { operationId: 'getA' }, put: { operationId: 'Put-B' } }
  }), [
    'POST /a has no operationId',
    'GET /b: operationId "getA" is also GET /a\'s',
    'PUT /b: operationId "Put-B" is not camelCase'
  ])
})

t.test('a route with several methods gets an operation per named method, the others left out', async (t) => {
  type Doc = Parameters<typeof finishDocument>[0]
  const shared = { [OPERATION_IDS_KEY]: { GET: 'thingGet', POST: 'thingPost' }, summary: 'Thing', responses: {} }
  const doc = finishDocument({ openapi: '3.1.0', paths: { '/thing': { get: shared, post: shared, options: shared } } } as unknown as Doc) as unknown as { paths: Paths }
  t.same(doc.paths['/thing'], { get: { operationId: 'thingGet', summary: 'Thing', responses: {} }, post: { operationId: 'thingPost', summary: 'Thing', responses: {} } })
  t.not(doc.paths['/thing'].get, doc.paths['/thing'].post, 'each method has its own object')
})
