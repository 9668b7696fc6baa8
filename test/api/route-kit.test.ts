import t from 'tap'
import { z } from 'zod'
import { fastSerializerCompiler } from '../../src/api/route-kit.js'
import { accountSchema } from '../../src/api/account.js'
import { problemSchema } from '../../src/problems.js'

const route = (schema: z.ZodType, httpStatus: string) => ({ schema, method: 'GET', url: '/x', httpStatus })

t.test('the fast serializer drops what a strict schema does not declare, at every depth', async (t) => {
  const schema = z.object({ a: z.string(), inner: z.object({ b: z.number() }), list: z.array(z.object({ c: z.boolean() })).optional() })
  const write = fastSerializerCompiler(route(schema, '200'))
  const out = JSON.parse(write({ a: 'x', secret: 's', inner: { b: 1, hash: 'h' }, list: [{ c: true, d: 1 }] })) as unknown
  t.same(out, { a: 'x', inner: { b: 1 }, list: [{ c: true }] })
  t.same(out, schema.parse({ a: 'x', secret: 's', inner: { b: 1, hash: 'h' }, list: [{ c: true, d: 1 }] }), 'as zod would')
})

t.test('a loose schema (Apple\'s account) keeps its extra fields, as zod does', async (t) => {
  const value = { server_name: 'MDM', org_type: 'org', new_field: { x: 1 }, urls: [{ uri: '/account', http_method: ['GET'], limit: { default: 100, maximum: 1000 }, extra: true }] }
  t.same(JSON.parse(fastSerializerCompiler(route(accountSchema, '200'))(value)), accountSchema.parse(value))
})

t.test('other statuses keep the checking zod serializer', async (t) => {
  const write = fastSerializerCompiler(route(problemSchema, '404'))
  t.throws(() => write({ status: 'not a number' }), 'a problem that does not match its schema is refused')
})
