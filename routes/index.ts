import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'

/** The OpenAPI document itself. Public: it describes the API and holds no secret. */
const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/openapi.json', {
    config: { scope: 'none', rateLimit: false },
    schema: { hide: true }
  }, async () => fastify.swagger())
}

export default plugin
