import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../src/problems.js'
import { keyIdParamsSchema } from '../../../../src/api/api-key-views.js'
import { defineRoute } from '../../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.delete('/', defineRoute({
    scope: 'admin',
    audit: 'key.revoke',
    operationId: 'revokeApiKey',
    tag: 'keys',
    summary: 'Revoke an API key',
    description: 'Revokes the key at once; it stays listed with revoked_at. Revoking twice answers 404.',
    schema: {
      params: keyIdParamsSchema,
      response: { 204: z.null().describe('Revoked'), ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { id } = request.params
    if (!(await fastify.store.keys.revoke(id, fastify.auditRow(request, { action: 'key.revoke', target: `/v1/keys/${id}` })))) {
      throw httpProblem(404, 'KEY_NOT_FOUND', `No active API key with id ${id}.`)
    }
    request.audited = true
    return reply.code(204).send(null)
  })
}

export default plugin
