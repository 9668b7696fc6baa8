import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { deliveryParamsSchema, webhookNotFound } from '../../../../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../../../../src/api/route-kit.js'
import { httpProblem, problemResponses } from '../../../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND', 'DELIVERY_NOT_FOUND'],
    audit: 'webhook.retry',
    operationId: 'retryWebhookDelivery',
    tag: 'webhooks',
    summary: 'Retry a delivery now',
    description: 'Makes the delivery pending and due now (a failed one, or a pending one waiting for its next attempt); it is sent in its place in the subscription\'s order, and the 3 days before depgate gives up count again from here. A succeeded delivery is sent again too (same `webhook-id`).',
    schema: {
      params: deliveryParamsSchema,
      response: {
        202: z.object({ id: z.number().int().describe('The delivery'), status: z.literal('pending') }).describe('Queued'),
        ...problemResponses(404)
      }
    }
  }), async (request, reply) => {
    const { id, delivery } = request.params
    if (await fastify.store.webhooks.get(id) === undefined) throw webhookNotFound(id)
    if (!(await fastify.store.webhookDeliveries.retry(id, delivery))) {
      throw httpProblem(404, 'DELIVERY_NOT_FOUND', `Webhook ${id} has no delivery ${delivery}.`)
    }
    fastify.webhooks.kick()
    return await reply.code(202).send({ id: delivery, status: 'pending' as const })
  })
}

export default plugin
