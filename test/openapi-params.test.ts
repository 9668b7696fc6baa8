/**
 * What the committed document says of parameters and of answers from the mirror or from Apple, as
 * a generated client reads it: numbers and flags typed, and every such union told apart by
 * `source` with a discriminator whose mapping names schemas that carry that very value.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OPENAPI_FILE } from '../src/openapi.js'

interface Schema { [key: string]: unknown, $ref?: string, properties?: Record<string, Schema> }
interface Parameter { name: string, in: string, schema: Schema }
interface Operation { parameters?: Parameter[], responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
interface Doc { paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, Schema> } }

const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc
const S = '/v1/servers/{server}'
const query = (path: string, method: string, name: string): Schema | undefined =>
  doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'query' && p.name === name)?.schema
const component = (ref: string): Schema => doc.components.schemas[ref.replace('#/components/schemas/', '')]

t.test('numeric query parameters are integers with their bounds', async (t) => {
  const cases: Array<[string, string, string, number, number]> = [
    [`${S}/devices`, 'get', 'limit', 1, 1000],
    [`${S}/devices/changes`, 'get', 'since', 0, Number.MAX_SAFE_INTEGER],
    [`${S}/devices/changes`, 'get', 'limit', 1, 1000],
    [`${S}/devices/changes`, 'get', 'wait', 0, 60],
    ['/v1/audit', 'get', 'limit', 1, 1000]
  ]
  for (const [path, method, name, minimum, maximum] of cases) {
    t.same(query(path, method, name), { type: 'integer', minimum, maximum }, `${method} ${path} ${name}`)
  }
})

t.test('filters with known values are enums, every filter an array, the dates dates', async (t) => {
  const list = `${S}/devices`
  t.same((query(list, 'get', 'os')?.items as Schema).enum, ['iOS', 'iPadOS', 'OSX', 'tvOS', 'visionOS'])
  t.same((query(list, 'get', 'device_family')?.items as Schema).enum, ['iPad', 'iPhone', 'iPod', 'Mac', 'AppleTV', 'Vision'])
  t.same((query(list, 'get', 'profile_status')?.items as Schema).enum, ['empty', 'assigned', 'pushed', 'removed'])
  for (const name of ['serial', 'model', 'description']) t.equal(query(list, 'get', name)?.type, 'array', name)
  t.same(query(list, 'get', 'assigned_after')?.anyOf, [{ format: 'date' }, { format: 'date-time' }])
  t.equal(query('/v1/audit', 'get', 'since')?.format, 'date-time')
})

t.test('timestamps in answers are date-times; serial lists that refuse duplicates say uniqueItems', async (t) => {
  const schemas = doc.components.schemas
  t.equal(schemas.Device.properties?.device_assigned_date?.format, 'date-time')
  t.equal(schemas.MirrorChange.properties?.at?.format, 'date-time')
  t.equal(schemas.ApiKey.properties?.created_at?.format, 'date-time')
  t.equal(schemas.ReplacementDetails.properties?.replacement_date?.format, 'date')
  for (const name of ['DeviceDetailsRequestInput', 'DisownRequestInput']) {
    t.equal(schemas[name].properties?.serials?.uniqueItems, true, name)
  }
})

t.test('flags are booleans with their defaults', async (t) => {
  const cases: Array<[string, string, string, boolean]> = [
    [`${S}/sync`, 'post', 'full', false],
    [`${S}/sync`, 'post', 'wait', false],
    [`${S}/sync`, 'post', 'force', false],
    [`${S}/token`, 'put', 'force', false],
    [`${S}/token`, 'put', 'verify', true],
    [`${S}/certificate`, 'post', 'replace', false]
  ]
  for (const [path, method, name, fallback] of cases) {
    t.same(query(path, method, name), { type: 'boolean', default: fallback }, `${method} ${path} ${name}`)
  }
})

t.test('answers from the mirror or from Apple carry a source discriminator', async (t) => {
  for (const path of [`${S}/devices`, `${S}/devices/{serial}`, `${S}/devices/changes`]) {
    const schema = doc.paths[path].get.responses['200'].content?.['application/json']?.schema as Schema & { oneOf: Schema[], discriminator: { propertyName: string, mapping: Record<string, string> } }
    t.equal(schema.discriminator.propertyName, 'source', path)
    t.same(Object.keys(schema.discriminator.mapping).sort(), ['apple', 'mirror'], path)
    t.same(schema.oneOf.map((s) => s.$ref).sort(), Object.values(schema.discriminator.mapping).sort(), `${path}: the mapping names the union's members`)
    for (const [value, ref] of Object.entries(schema.discriminator.mapping)) {
      const member = component(ref)
      t.same(member.properties?.source?.const, value, `${ref} has source ${value}`)
      t.ok((member.required as string[]).includes('source'), `${ref} always has source`)
    }
  }
})
