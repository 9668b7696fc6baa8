import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { defineRoute } from '../src/api/route-kit.js'
import { UI_PREFIX } from '../src/ui/layout.js'

/** The document's top level; the rest is open (it is this document). */
const openApiSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown())
}).meta({ examples: [{ openapi: '3.1.0', info: { title: 'depgate', version: '0.1.0' }, paths: {} }] })

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  // Public: it describes the API and holds no secret. Documented so generators see every operation.
  fastify.get('/openapi.json', defineRoute({
    scope: 'none',
    rateLimit: false,
    neverFails: true,
    operationId: 'getOpenApiDocument',
    tag: 'operations',
    summary: 'The OpenAPI document',
    description: 'This OpenAPI 3.1 document, as committed in openapi/openapi.json; Swagger UI shows it at /docs.',
    schema: {
      response: { 200: openApiSchema }
    }
  }), async () => fastify.swagger() as z.infer<typeof openApiSchema>)

  // Someone who opens depgate's address in a browser lands on the dashboard (which asks them to
  // sign in). 302, not 301: browsers cache a 301 for good.
  fastify.get('/', {
    config: { scope: 'none' },
    schema: { hide: true }
  }, async (_request, reply) => reply.redirect(UI_PREFIX, 302))
}

export default plugin
