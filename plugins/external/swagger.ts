/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas. Shared schemas registered with
 * `.meta({ id })` become `components.schemas` and `$ref`s; error responses are served as
 * `application/problem+json`, so the document says so.
 */
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod'
import fp from 'fastify-plugin'
import { PROBLEM_CONTENT_TYPE, statusTitle } from '../../src/problems.js'
import { VERSION } from '../../src/version.js'

type Doc = ReturnType<typeof jsonSchemaTransformObject>
type Responses = Record<string, { description?: string, content?: Record<string, unknown> }>

/** Error responses: problem+json media type and a real description instead of "Default Response". */
export function finishDocument (doc: Doc): Doc {
  const paths = (doc as { paths?: Record<string, Record<string, { responses?: Responses }>> }).paths ?? {}
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const code = Number(status)
        if (res.description === undefined || res.description === 'Default Response') res.description = statusTitle(code)
        if (code >= 400 && res.content?.['application/json'] !== undefined) {
          res.content = { [PROBLEM_CONTENT_TYPE]: res.content['application/json'] }
        }
      }
    }
  }
  return doc
}

export const OPENAPI_INFO = {
  title: 'depgate',
  version: VERSION,
  description: 'A gateway to Apple\'s Device Enrollment Program (Automated Device Enrollment) API: one place for DEP server tokens and sessions, a plain REST API for scripts and dashboards.\n\n' +
    'Authenticate with `Authorization: Bearer <api key>`. Keys have a scope: `read` < `write` < `admin`. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`.'
}

export function createSwaggerPlugin () {
  return fp(async function swaggerPlugin (fastify) {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: OPENAPI_INFO,
        tags: [
          { name: 'servers', description: 'DEP servers (one per server token from Apple Business/School Manager)' },
          { name: 'keys', description: 'API keys for depgate itself' },
          { name: 'devices', description: 'Devices assigned to a DEP server' },
          { name: 'profiles', description: 'Enrollment profiles' },
          { name: 'account', description: 'The Apple account behind a DEP server' },
          { name: 'operations', description: 'Health, readiness and metrics' }
        ],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'A depgate API key (dgk_…), created with POST /v1/keys or `depgate keys create`.' }
          }
        }
      },
      transform: jsonSchemaTransform,
      transformObject: (input) => finishDocument(jsonSchemaTransformObject(input))
    })
  }, { name: 'depgate-swagger' })
}
