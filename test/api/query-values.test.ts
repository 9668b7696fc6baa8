/** Typed query values: the text they read, the text they refuse, and what the document says of them. */
import t from 'tap'
import { z } from 'zod'
import { MAX_LIST_VALUES, queryChoice, queryFlag, queryInteger, queryList, queryText } from '../../src/api/query-values.js'

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
  const since = queryInteger(0, Number.MAX_SAFE_INTEGER)
  t.equal(since.parse(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER, 'the documented maximum is reachable')
  for (const bad of ['9007199254740992', '9007199254740993', '99999999999999999']) t.equal(since.safeParse(bad).success, false, bad)
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

t.test('queryList: once, repeated or comma-separated, always a list', async (t) => {
  const commas = queryList(queryText, { commas: true })
  t.same(commas.parse('a'), ['a'])
  t.same(commas.parse(['a', 'b, c', ' ,']), ['a', 'b', 'c'], 'pieces trimmed, empty ones dropped')
  t.same(commas.parse(['a', 'a']), ['a', 'a'], 'a value repeated is accepted')
  t.same(queryList(queryText, { commas: false }).parse(['a, b']), ['a, b'], 'without commas a comma is text')
  t.equal(commas.safeParse(['Mac\t']).error?.issues[0]?.message, 'must not contain control characters', 'a tab is refused, not trimmed away')
  t.equal(commas.safeParse('x'.repeat(8001)).success, false, 'a value over 8000 characters')
  t.equal(commas.safeParse(Array.from({ length: MAX_LIST_VALUES + 1 }, () => 'a').join(',')).error?.issues[0]?.message, `at most ${MAX_LIST_VALUES} values`)
  t.equal(commas.safeParse([7]).success, false, 'what is not text stays for the item to refuse')
  t.equal(commas.safeParse(7).success, false)
  t.same(z.toJSONSchema(commas, { io: 'input' }), { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', maxItems: MAX_LIST_VALUES, items: { type: 'string', maxLength: 8000 } })
})

t.test('queryChoice: Apple\'s values in any case, answered in Apple\'s spelling, an enum in the document', async (t) => {
  const os = queryList(queryChoice(['iOS', 'OSX'] as const), { commas: true })
  t.same(os.parse('osx,IOS'), ['OSX', 'iOS'])
  const refused = os.safeParse('macOS')
  t.equal(refused.error?.issues[0]?.message, 'must be one of iOS, OSX')
  t.same(refused.error?.issues[0]?.path, [0])
  t.equal(queryChoice(['iOS'] as const).safeParse(1).success, false)
  t.same(z.toJSONSchema(queryChoice(['iOS', 'OSX'] as const), { io: 'input' }), { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string', enum: ['iOS', 'OSX'] })
})
