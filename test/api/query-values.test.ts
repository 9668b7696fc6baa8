/** Typed query values: the text they read, the text they refuse, and what the document says of them. */
import t from 'tap'
import { z } from 'zod'
import { queryFlag, queryInteger } from '../../src/api/query-values.js'

t.test('queryInteger reads digits only, and is an integer with bounds in the document', async (t) => {
  const limit = queryInteger(1, 1000)
  t.equal(limit.parse('25'), 25)
  t.equal(limit.parse(7), 7, 'a number (a direct caller) is taken as it is')
  for (const bad of ['abc', '0', '1001', '1.5', '1e3', '-1', '0x10', ' 12', '', '1234567890123456']) {
    const result = limit.safeParse(bad)
    t.equal(result.success, false, bad)
    t.equal(result.error?.issues[0]?.message, 'a whole number from 1 to 1000', `${bad}: one clear sentence`)
  }
  t.same(z.toJSONSchema(limit, { io: 'input' }), { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'integer', minimum: 1, maximum: 1000 })
})

t.test('queryFlag takes exactly true and false, and is a boolean with its default in the document', async (t) => {
  const off = queryFlag(false)
  t.equal(off.parse('true'), true)
  t.equal(off.parse('false'), false)
  t.equal(off.parse(undefined), false)
  t.equal(queryFlag(true).parse(undefined), true)
  for (const bad of ['yes', '1', 'TRUE', '', 'true ']) {
    const result = off.safeParse(bad)
    t.equal(result.success, false, bad)
    t.equal(result.error?.issues[0]?.message, 'must be true or false')
  }
  t.same(z.toJSONSchema(off, { io: 'input' }), { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'boolean', default: false })
})
