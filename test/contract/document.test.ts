/**
 * The contract checker itself, on a small document: it must fail an answer for each way it can
 * depart from the document (status, media type, body, a documented header's value, a required
 * header missing, a header not documented), or the contract test would pass anything.
 */
import t from 'tap'
import { Contract, documentedStatus, operationsOf, type OpenApiDoc } from './document.js'

const doc: OpenApiDoc = {
  paths: {
    '/things/{id}': {
      parameters: {} as never,
      get: {
        operationId: 'getThing',
        responses: {
          200: {
            headers: { 'X-Count': { required: true, schema: { type: 'integer', minimum: 0 } }, 'X-Ref': { $ref: '#/components/headers/Ref' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } }, 'text/csv': { schema: { type: 'string' } } }
          },
          404: { content: { 'application/problem+json': { schema: { type: 'object', required: ['code'] } } } }
        }
      },
      delete: { responses: { 204: {}, '4XX': { content: { 'text/plain; version=1': { schema: { type: 'string' } } } } } }
    }
  },
  components: {
    schemas: { Thing: { type: 'object', required: ['id', 'at'], properties: { id: { type: 'integer', format: 'int32' }, at: { type: 'string', format: 'date-time' } } } },
    headers: { Ref: { schema: { type: 'string', pattern: '^r-' } } }
  }
}

t.test('the operations and their statuses come from the document', async (t) => {
  const ops = operationsOf(doc)
  t.same(ops.map((op) => [op.key, op.statuses]), [['DELETE /things/{id}', ['204', '4XX']], ['getThing', ['200', '404']]], 'keyed by operationId, else METHOD /path; non-methods skipped')
  t.equal(documentedStatus(ops[0], 409), '4XX', 'a range covers its statuses')
  t.equal(documentedStatus(ops[1], 500), undefined)
})

t.test('an answer that keeps to the document passes; each departure is named', async (t) => {
  const contract = new Contract(doc)
  const [del, get] = operationsOf(doc)
  const headers = { 'content-type': 'application/json; charset=utf-8', 'x-count': '2', 'x-ref': 'r-1', date: 'now' }
  const good = { status: 200, headers, text: '{"id":1,"at":"2026-01-01T00:00:00Z"}' }
  t.same(contract.check(get, good), [])
  t.same(contract.check(get, { ...good, headers: { ...headers, 'content-type': 'text/csv' }, text: 'id\n1' }), [], 'another documented media type')
  t.same(contract.check(del, { status: 204, headers: {}, text: '' }), [])
  t.same(contract.check(del, { status: 409, headers: { 'content-type': 'text/plain; version=1' }, text: 'no' }), [], 'a range, and a media type with parameters')

  const cases: Array<[string, Parameters<Contract['check']>[1], RegExp]> = [
    ['an undocumented status', { ...good, status: 500 }, /status 500 is not documented/],
    ['an undocumented media type', { ...good, headers: { ...headers, 'content-type': 'text/html' } }, /content-type text\/html is not documented/],
    ['a media type without its documented parameter', { status: 409, headers: { 'content-type': 'text/plain' }, text: 'no' }, /content-type text\/plain is not documented/],
    ['no content type', { ...good, headers: { 'x-count': '1' } }, /no content-type/],
    ['a body against its schema', { ...good, text: '{"id":"1","at":"yesterday"}' }, /body does not match/],
    ['a format', { ...good, text: '{"id":1,"at":"yesterday"}' }, /must match format "date-time"/],
    ['a JSON body that does not parse', { ...good, text: '{"id":' }, /does not parse/],
    ['a body where none is documented', { status: 204, headers: { 'content-type': 'text/plain' }, text: 'x' }, /no body is documented/],
    ['a documented header\'s value', { ...good, headers: { ...headers, 'x-count': '-1' } }, /header x-count/],
    ['a referenced header\'s value', { ...good, headers: { ...headers, 'x-ref': 'q' } }, /header x-ref/],
    ['a required header missing', { ...good, headers: { 'content-type': 'application/json' } }, /required header x-count is missing/],
    ['an undocumented header', { ...good, headers: { ...headers, 'x-secret-sauce': '1' } }, /header x-secret-sauce is not documented/]
  ]
  for (const [what, answer, want] of cases) {
    const op = answer.status === 204 || answer.status === 409 ? del : get
    t.match(contract.check(op, answer).join('\n'), want, what)
  }
})
