import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../src/problems.js'
import { apiKeySchema, keyIdParamsSchema, keyView } from '../../../../src/api/api-key-views.js'
import { defineRoute } from '../../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  // The key POST /v1/keys answers in its Location: what GET /v1/keys lists of it, never its secret.
  fastify.get('/', defineRoute({
    scope: 'admin',
    problems: ['KEY_NOT_FOUND'],
    operationId: 'getApiKey',
    tag: 'keys',
    summary: 'Get an API key',
    description: 'One key as GET /v1/keys lists it, revoked or not (with revoked_at). Never its secret or hash.',
    schema: {
      params: keyIdParamsSchema,
      response: { 200: apiKeySchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const record = await fastify.store.keys.get(request.params.id)
    if (record === undefined) throw httpProblem(404, 'KEY_NOT_FOUND', `No API key with id ${request.params.id}.`)
    return keyView(record)
  })

  fastify.delete('/', defineRoute({
    scope: 'admin',
    problems: ['KEY_NOT_FOUND'],
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
