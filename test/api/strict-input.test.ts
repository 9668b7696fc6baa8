import t from 'tap'
import { z } from 'zod'
import { closest, declaredKeys, editDistance, jsonPointer, strictify } from '../../src/api/strict-input.js'

t.test('strictify refuses undeclared keys at every depth, and keeps what a schema decided', async (t) => {
  const schema = z.object({
    a: z.object({ b: z.string() }).optional(),
    list: z.array(z.object({ c: z.number() })),
    either: z.union([z.object({ d: z.string() }), z.string()]).nullable(),
    n: z.string().transform(Number).pipe(z.number()),
    piped: z.object({ e: z.string() }).transform((v) => v.e),
    loose: z.looseObject({ f: z.string() }),
    rec: z.record(z.string(), z.number()),
    both: z.intersection(z.object({ g: z.string() }), z.object({ h: z.string() }))
  }).refine((v) => v.n !== 13, 'not 13')
  const strict = strictify(schema)
  const good = { list: [{ c: 1 }], either: { d: 'x' }, n: '1', piped: { e: 'y' }, loose: { f: 'z', extra: 1 }, rec: { any: 1 }, both: { g: '', h: '' } }
  t.same((strict as z.ZodType).parse(good), { ...good, n: 1, piped: 'y' }, 'loose, record and intersection keep their keys')
  const issue = (value: unknown) => (strict as z.ZodType).safeParse(value).error?.issues[0]
  t.match(issue({ ...good, extra: 1 }), { code: 'unrecognized_keys', keys: ['extra'], path: [] })
  t.match(issue({ ...good, a: { b: '', x: 1 } }), { code: 'unrecognized_keys', path: ['a'] })
  t.match(issue({ ...good, list: [{ c: 1, x: 1 }] }), { code: 'unrecognized_keys', path: ['list', 0] })
  t.match(issue({ ...good, piped: { e: '', x: 1 } }), { code: 'unrecognized_keys', path: ['piped'] })
  t.match(issue({ ...good, n: '13' }), { code: 'custom', message: 'not 13' }, 'refinements are kept')
  t.equal(z.object({ a: z.string() }).safeParse({ a: '', x: 1 }).success, true, 'the schema itself is left as it was')

  t.same(declaredKeys(schema, []), ['a', 'list', 'either', 'n', 'piped', 'loose', 'rec', 'both'])
  t.same(declaredKeys(schema, ['a']), ['b'])
  t.same(declaredKeys(schema, ['list', '0']), ['c'])
  t.same(declaredKeys(schema, ['list']), [], 'an array itself declares no key')
  t.same(declaredKeys(schema, ['either']), ['d'], 'union options are followed')
  t.same(declaredKeys(schema, ['n']), [], 'not an object')
  t.same(declaredKeys(schema, ['nope', 'x']), [])
})

t.test('closest names a declared key only when it is near', async (t) => {
  t.equal(editDistance('device_famly', 'device_family'), 1)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(closest('device_famly', ['serial', 'os', 'device_family']), 'device_family')
  t.equal(closest('OS', ['serial', 'os']), 'os', 'case does not count')
  t.equal(closest('x', ['os']), undefined, 'a one-letter name is too short to guess from')
  t.equal(closest('colour_name', ['color', 'os']), undefined, 'too far')
  t.equal(closest('', []), undefined)
  t.equal(jsonPointer(['a/b', 'c~d', 0]), '/a~1b/c~0d/0')
})
