/**
 * Input that is not understood is refused, never ignored, once for every route: the
 * validator compiler validates each querystring and body against a strict copy of the route's zod
 * schema (every plain object in it refuses keys it does not declare), and answers a key it does
 * not know with 400 UNKNOWN_PARAMETER (query) or UNKNOWN_FIELD (body, with the JSON pointer),
 * naming the declared key that is closest by edit distance. A route without a querystring schema
 * declares none (defaultQuerystring), so `?anything` is refused there too.
 *
 * What is not made strict, on purpose: loose objects (`z.looseObject`, Apple's device records
 * whose new fields must pass through), records (their keys are data) and intersections (each
 * side would refuse the other's keys). The schemas the OpenAPI document is built from are left as
 * they are; the document says `additionalProperties: false` (plugins/external/swagger.ts).
 *
 * What "declared" means where depgate does not own the words: the pass-through (`…/apple/*`)
 * declares an open query (Apple's parameters, forwarded unread: depgate cannot know Apple's names)
 * and reads its body as text for Apple. The token upload's multipart form declares a file: the
 * part named `token`, else the first file; other parts are read and dropped, since the form an
 * admin's browser or tool builds names its parts as it likes (a submit button, a file field).
 */
import { validatorCompiler } from '@fastify/type-provider-zod'
import type { FastifySchema, FastifySchemaCompiler, RouteOptions } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import { z } from 'zod'
import { httpProblem } from '../problems.js'

type AnyZod = z.core.$ZodType
type Def = Record<string, unknown> & { type: string }

const defOf = (schema: AnyZod): Def => schema._zod.def as unknown as Def
const rebuild = (schema: AnyZod, def: Def): AnyZod => (schema as z.ZodType).clone(def as never)

/** Wrappers whose one inner schema is in `innerType`. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'success'])

/** A copy of `schema` whose plain objects, however deep, refuse undeclared keys. */
export function strictify (schema: AnyZod): AnyZod {
  const def = defOf(schema)
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, AnyZod>
      const strictShape = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, strictify(v)]))
      // A catchall already set (loose, or strict) is the schema's own decision.
      return rebuild(schema, { ...def, shape: strictShape, catchall: def.catchall ?? z.never() })
    }
    case 'array':
      return rebuild(schema, { ...def, element: strictify(def.element as AnyZod) })
    case 'union':
      return rebuild(schema, { ...def, options: (def.options as AnyZod[]).map(strictify) })
    case 'pipe':
      return rebuild(schema, { ...def, in: strictify(def.in as AnyZod) })
  }
  if (WRAPPERS.has(def.type)) return rebuild(schema, { ...def, innerType: strictify(def.innerType as AnyZod) })
  return schema
}

/** The keys the object at `path` inside `schema` declares (following wrappers, pipes and arrays). */
export function declaredKeys (schema: AnyZod, path: readonly PropertyKey[]): string[] {
  const def = defOf(schema)
  if (WRAPPERS.has(def.type)) return declaredKeys(def.innerType as AnyZod, path)
  if (def.type === 'pipe') return declaredKeys(def.in as AnyZod, path)
  if (def.type === 'union') return (def.options as AnyZod[]).flatMap((o) => declaredKeys(o, path))
  const [head, ...rest] = path
  if (def.type === 'array') return head === undefined ? [] : declaredKeys(def.element as AnyZod, rest)
  if (def.type !== 'object') return []
  const shape = def.shape as Record<string, AnyZod>
  if (head === undefined) return Object.keys(shape)
  const inner = shape[String(head)]
  return inner === undefined ? [] : declaredKeys(inner, rest)
}

/** Levenshtein distance, two rows. */
export function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]
}

/**
 * The declared name `name` was probably meant to be: the closest by edit distance, when it is
 * close enough that the suggestion helps (at most 2 edits, and fewer than half the name's length,
 * so `?x=1` is not "did you mean os?").
 */
export function closest (name: string, declared: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of declared) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= 2 && bestDistance * 2 < Math.max(name.length, 1) ? best : undefined
}

/** RFC 6901: `~` and `/` escaped in each segment. */
export function jsonPointer (path: readonly PropertyKey[]): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('')
}

/** What the zod provider makes of an issue (createValidationError): code as keyword, path as instancePath. */
type ValidationEntry = Pick<FastifySchemaValidationError, 'instancePath' | 'params'>

function unknownKeyProblem (httpPart: string | undefined, schema: AnyZod, entry: ValidationEntry) {
  const path = entry.instancePath.split('/').filter((s) => s !== '')
  const keys = entry.params.keys as string[]
  const key = keys[0]
  const hint = closest(key, declaredKeys(schema, path))
  const meant = hint === undefined ? '' : `; did you mean ${hint}?`
  if (httpPart === 'querystring') {
    return httpProblem(400, 'UNKNOWN_PARAMETER', `unknown query parameter ${key}${meant}`,
      { errors: keys.map((k) => ({ field: `querystring.${k}`, message: 'is not a parameter of this route' })) })
  }
  const pointer = jsonPointer([...path, key])
  return httpProblem(400, 'UNKNOWN_FIELD', `unknown field ${pointer} in the request body${meant}`,
    { errors: keys.map((k) => ({ field: jsonPointer([...path, k]), message: 'is not a field this route takes' })) })
}

/** Parts of a request whose keys are the caller's words; headers and path parameters are not (a client sends many headers). */
const STRICT_PARTS = new Set(['querystring', 'body'])

/** The zod provider's validator compiler, with strict querystrings and bodies. */
export const strictValidatorCompiler: FastifySchemaCompiler<AnyZod> = (route) => {
  if (!STRICT_PARTS.has(String(route.httpPart))) return validatorCompiler(route)
  const strict = strictify(route.schema)
  const validate = validatorCompiler({ ...route, schema: strict })
  return (data: unknown) => {
    const result = validate(data) as { value?: unknown, error?: FastifySchemaValidationError[] }
    const unknown = result.error?.find((e) => e.keyword === 'unrecognized_keys')
    if (unknown === undefined) return result
    return { error: unknownKeyProblem(route.httpPart, route.schema, unknown) }
  }
}

/** A querystring that declares nothing: a route without one refuses every query parameter. */
export const noQuerySchema = z.object({})

/**
 * onRoute: gives a route with a schema but no querystring the empty one. Routes without a schema
 * or hidden from the document (Swagger UI's files and its JSON) are not depgate's API.
 */
export function defaultQuerystring (route: RouteOptions): void {
  const schema = route.schema as (FastifySchema & { hide?: boolean }) | undefined
  if (schema !== undefined && schema.hide !== true && schema.querystring === undefined) schema.querystring = noQuerySchema
}
