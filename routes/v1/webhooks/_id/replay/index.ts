import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { replayQuerySchema, webhookNotFound, webhookParamsSchema } from '../../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    audit: 'webhook.replay',
    operationId: 'replayWebhookEvents',
    tag: 'webhooks',
    summary: 'Re-send past events',
    description: 'Queues again, after the deliveries already waiting, every stored event from `since` on that the subscription\'s `events`, `servers` and `orgs` take now (test events excepted), with their original `webhook-id`s: a receiver that drops ids it has seen must forget them first. The outbox holds only events some subscription took when they happened.',
    schema: {
      params: webhookParamsSchema,
      querystring: replayQuerySchema,
      response: {
        202: z.object({ queued: z.number().int().describe('Deliveries queued') }).describe('Queued'),
        ...problemResponses(404)
      }
    }
  }), async (request, reply) => {
    const { id } = request.params
    if (await fastify.store.webhooks.get(id) === undefined) throw webhookNotFound(id)
    const queued = await fastify.store.webhookDeliveries.replay(id, new Date(request.query.since).toISOString())
    request.auditWith({ detail: `since=${request.query.since} queued=${queued}` })
    fastify.webhooks.kick()
    return await reply.code(202).send({ queued })
  })
}

export default plugin
