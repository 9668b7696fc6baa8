import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { webhookNotFound, webhookParamsSchema } from '../../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    audit: 'webhook.test',
    operationId: 'testWebhook',
    tag: 'webhooks',
    summary: 'Send a test event',
    description: 'Queues a `webhook.test` event for this subscription only, whatever its `events` (a disabled subscription keeps it until enabled). It is delivered like any other: signed, in order, retried; `GET …/deliveries` shows how it went.',
    schema: {
      params: webhookParamsSchema,
      response: {
        202: z.object({ event_id: z.string().describe('The `webhook-id` the receiver will get') }).describe('Queued'),
        ...problemResponses(404)
      }
    }
  }), async (request, reply) => {
    const { id } = request.params
    const eventId = await fastify.store.webhooks.sendTest(id)
    if (eventId === undefined) throw webhookNotFound(id)
    fastify.webhooks.kick()
    return await reply.code(202).send({ event_id: eventId })
  })
}

export default plugin
