import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { problemResponses } from '../../../src/problems.js'
import { serverInfoSchema } from './schemas.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'read' },
    schema: {
      summary: 'List DEP servers',
      description: 'Every configured DEP server with its token health: expiry and days left. Secrets are never shown; the consumer key appears only as a fingerprint. Needs the `read` scope.',
      tags: ['servers'],
      security: [{ bearerAuth: [] }],
      response: { 200: z.object({ servers: z.array(serverInfoSchema) }), ...problemResponses() }
    }
  }, async () => ({ servers: fastify.depServers.list() }))
}

export default plugin
