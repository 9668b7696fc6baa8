/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas. Shared schemas registered with
 * `.meta({ id })` become `components.schemas` and `$ref`s; error responses are served as
 * `application/problem+json`, so the document says so.
 */
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod'
import fp from 'fastify-plugin'
import { documentProblemCodes, withProblemCodes } from '../../src/api/problem-docs.js'
import { OPERATION_IDS_KEY, type OperationIds } from '../../src/api/route-kit.js'
import { PROBLEM_CONTENT_TYPE, statusTitle } from '../../src/problems.js'
import { NDJSON_ALIASES } from '../../src/api/list-format.js'
import { documentResponses, ROUTE_FACTS_KEY, routeFacts } from './openapi-headers.js'
import { VERSION } from '../../src/version.js'

type Doc = ReturnType<typeof jsonSchemaTransformObject>
type Responses = Record<string, { description?: string, content?: Record<string, unknown> }>
interface Operation { operationId?: string, [OPERATION_IDS_KEY]?: OperationIds, responses?: Responses, parameters?: Array<{ in?: string, name?: string }> }

/** The methods an OpenAPI 3.1 path item may hold; `fastify.all` also adds e.g. QUERY, which is not one. */
const OPENAPI_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
/** What a Fastify wildcard (`/*`, shown as `{*}`) is called in the document: `*` is not a valid parameter name. */
export const WILDCARD_PARAM = 'path'

/**
 * Makes the generated document valid and precise: wildcard routes get a named path parameter,
 * methods OpenAPI does not know are dropped, error responses are `application/problem+json`, and
 * every response has a real description instead of "Default Response".
 */
/**
 * The zod provider emits every registered schema twice (input `XInput` and output `X`); keep only
 * those the paths reach, directly or through other schemas, so the document lists what exists.
 */
export function pruneUnusedSchemas (doc: Doc): Doc {
  const withSchemas = doc as { paths?: unknown, components?: { schemas?: Record<string, unknown> } }
  const schemas = withSchemas.components?.schemas
  if (schemas === undefined) return doc
  const refsIn = (value: unknown): string[] => [...String(JSON.stringify(value)).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1])
  const used = new Set<string>()
  const queue = refsIn(withSchemas.paths)
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (used.has(name)) continue
    used.add(name)
    queue.push(...refsIn(schemas[name]))
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name]
  return doc
}

/** Every object in `schema` (not behind a $ref) that says nothing about other properties gets additionalProperties: false. */
function closeObjects (schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return
  const node = schema as Record<string, unknown>
  if ('$ref' in node) return
  if ((node.type === 'object' || 'properties' in node) && !('additionalProperties' in node)) node.additionalProperties = false
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) value.forEach(closeObjects)
    else closeObjects(value)
  }
}

/**
 * Request bodies are validated strictly (src/api/strict-input.ts): a field no schema declares is
 * refused with UNKNOWN_FIELD, so the document says `additionalProperties: false` on every object
 * of an input schema (components named `…Input`, and JSON bodies written inline). Objects that
 * stay open (loose ones, records) already say what they take.
 */
export function strictInputs (doc: Doc): Doc {
  // @fastify/swagger's document always has both.
  const withParts = doc as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>>, components: { schemas: Record<string, unknown> } }
  for (const [name, schema] of Object.entries(withParts.components.schemas)) if (name.endsWith('Input')) closeObjects(schema)
  for (const item of Object.values(withParts.paths)) {
    for (const op of Object.values(item)) closeObjects(op.requestBody?.content?.['application/json']?.schema)
  }
  return doc
}

/** What the document says of a non-JSON answer a route declares it produces (config.produces, src/api/negotiation.ts). */
const MEDIA_TEXT: Record<string, string> = {
  'application/x-ndjson': `NDJSON: a device a line, then the trailer line (same fields as the JSON answer beside \`devices\`). Also the answer to Accept: ${NDJSON_ALIASES.join(' or ')} (NDJSON's other names), always sent as application/x-ndjson`,
  'application/x-pem-file': 'The certificate as PEM text',
  'text/csv': 'CSV (RFC 4180, UTF-8 with a byte order mark): a header row, then a device a row, a column per device field; a cell starting with =, +, -, @, tab or CR is prefixed with \''
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0] & { route?: { config?: Parameters<typeof routeFacts>[0] } }

/**
 * The success answer (200, or 201 for a route that creates) in every media type the route
 * produces: the JSON schema for JSON, a described string for the others (text the JSON schema
 * cannot describe), so `Accept` and `?format=` choices are in the document.
 */
export function documentProduces (input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const out = jsonSchemaTransform(input)
  const produces = input.route?.config?.produces
  const response = (out.schema as { response?: Record<string, Record<string, unknown>> }).response
  const status = response?.['200'] !== undefined ? '200' : '201'
  const ok = response?.[status]
  if (produces === undefined || ok === undefined || produces.includes('*/*')) return out
  // An Accept name answered as another type (NDJSON's aliases) is not a type the route serves.
  const served = produces.filter((type) => !(NDJSON_ALIASES as readonly string[]).includes(type))
  const content: Record<string, { schema: unknown }> = {}
  for (const type of served) {
    content[type] = type === 'application/json' || served.length === 1 ? { schema: ok } : { schema: { type: 'string', description: MEDIA_TEXT[type] } }
  }
  (response as Record<string, unknown>)[status] = { description: ok.description, content }
  return out
}

/** The per-route transform: media types, and the facts documentResponses turns into headers. */
export function transformRoute (input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const out = documentProduces(input)
  // Every route has a schema: the documented ones their own, Swagger UI's `{ hide: true }`.
  const schema = out.schema as Record<string, unknown>
  schema[ROUTE_FACTS_KEY] = routeFacts(input.route?.config)
  return out
}

export function finishDocument (doc: Doc): Doc {
  const withPaths = doc as { paths?: Record<string, Record<string, Operation>> }
  const paths: Record<string, Record<string, Operation>> = {}
  for (const [path, item] of Object.entries(withPaths.paths ?? {})) {
    const named = path.replace('{*}', `{${WILDCARD_PARAM}}`)
    paths[named] = {}
    for (const [method, shared] of Object.entries(item)) {
      if (!OPENAPI_METHODS.has(method)) continue
      // A route with several methods shares one operation object between them: each method gets
      // its own copy named from the route's per-method ids, and a method with no id is left out.
      const { [OPERATION_IDS_KEY]: ids, ...rest } = shared
      const id = ids?.[method.toUpperCase()]
      if (ids !== undefined && id === undefined) continue
      const op: Operation = ids === undefined ? shared : { operationId: id, ...structuredClone(rest) }
      for (const p of op.parameters ?? []) if (p.in === 'path' && p.name === '*') p.name = WILDCARD_PARAM
      paths[named][method] = op
    }
  }
  withPaths.paths = paths
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const code = Number(status)
        if (res.description === undefined || res.description === 'Default Response') res.description = statusTitle(code)
        // Problems only: an error status may answer something else (/readyz's 503 is its JSON report).
        const json = res.content?.['application/json']
        if (code >= 400 && JSON.stringify(json ?? null).includes('#/components/schemas/Problem"')) res.content = { [PROBLEM_CONTENT_TYPE]: json }
      }
    }
  }
  return doc
}

/**
 * The zod provider names the input side of every registered schema `<id>Input`, so an id that
 * already ends in `Input` beside its base id (`Profile` + `ProfileInput`) breaks the whole
 * document. Say so, with the fix, instead of the provider's terse message.
 */
export function explainCollision<T> (build: () => T): T {
  try {
    return build()
  } catch (err) {
    const m = /^Collision detected for schema "(\w+)"/.exec((err as Error).message)
    if (m === null) throw err
    const base = m[1].replace(/Input$/, '')
    throw new Error(`OpenAPI schema id "${m[1]}" collides with the input-side name @fastify/type-provider-zod gives to schema "${base}" (it appends "Input"). Rename the schema registered as "${m[1]}", e.g. to "${base}Definition".`, { cause: err })
  }
}

export const OPENAPI_INFO = {
  title: 'depgate',
  version: VERSION,
  // As package.json says; SPDX identifier, so tools need no URL to know it.
  license: { name: 'MIT', identifier: 'MIT' },
  // The project has no public address or mailbox of its own to name, and OpenAPI's contact url must
  // be an absolute URI (a deployment's /docs has none until it is served): the name alone, honestly.
  contact: { name: 'depgate maintainers' },
  description: 'A gateway to Apple\'s Device Enrollment Program (Automated Device Enrollment) API: one place for DEP server tokens and sessions, a plain REST API for scripts and dashboards.\n\n' +
    'Authenticate with `Authorization: Bearer <api key>`. Keys have a scope: `read` < `write` < `admin`. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`.'
}

export function createSwaggerPlugin () {
  return fp(async function swaggerPlugin (fastify) {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: OPENAPI_INFO,
        // Relative: the document is served by the depgate it describes, wherever that listens.
        servers: [{ url: '/' }],
        tags: [
          { name: 'servers', description: 'DEP servers (one per server token from Apple Business/School Manager)' },
          { name: 'keys', description: 'API keys for depgate itself' },
          { name: 'audit', description: 'The audit log: every write and every call to Apple (admin scope)' },
          { name: 'devices', description: 'Devices assigned to a DEP server' },
          { name: 'profiles', description: 'Enrollment profiles' },
          { name: 'enrollment', description: 'Enrollment automation: named enrollment profiles and the assignment rules that give devices their profile' },
          { name: 'jobs', description: 'Long work with progress (a large profile assignment, the enrollment engines\' backfills): watch, list results, cancel' },
          { name: 'account', description: 'The Apple account behind a DEP server' },
          { name: 'orgs', description: 'Apple Business / School Manager organisations: API accounts, every device of the organisation, MDM servers, AppleCare' },
          { name: 'pass-through', description: 'Any Apple DEP endpoint, called with a DEP server\'s credentials (admin scope)' },
          { name: 'operations', description: 'Health, readiness and metrics' }
        ],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'A depgate API key (dgk_…), created with POST /v1/keys or `depgate keys create`.' }
          }
        }
      },
      transform: (input) => explainCollision(() => withProblemCodes(input, transformRoute(input))),
      transformObject: (input) => strictInputs(pruneUnusedSchemas(documentResponses(documentProblemCodes(finishDocument(explainCollision(() => jsonSchemaTransformObject(input)))))))
    })
  }, { name: 'depgate-swagger' })
}
