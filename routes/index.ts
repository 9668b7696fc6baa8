import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { DOCS_PREFIX } from '../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  /** The OpenAPI document itself. Public: it describes the API and holds no secret. */
  fastify.get('/openapi.json', {
    config: { scope: 'none', rateLimit: false },
    schema: { hide: true }
  }, async () => fastify.swagger())

  // Someone who opens depgate's address in a browser lands on the API's documentation rather than
  // a 404, until a web page of its own exists there. 302, not 301: browsers cache a 301 for good.
  fastify.get('/', {
    config: { scope: 'none' },
    schema: { hide: true }
  }, async (_request, reply) => reply.redirect(DOCS_PREFIX, 302))
}

export default plugin
