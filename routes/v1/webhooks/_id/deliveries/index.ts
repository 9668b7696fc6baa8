import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { deliveriesPageSchema, deliveriesQuerySchema, deliveryView, webhookNotFound, webhookParamsSchema } from '../../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    operationId: 'listWebhookDeliveries',
    tag: 'webhooks',
    summary: 'List a webhook\'s deliveries',
    description: 'The subscription\'s deliveries, newest first: attempts, the last HTTP status and error, when a pending one is tried next. Filter with `status` (pending, succeeded, failed); paged by `limit`, then `before` = the `next_before` of the previous page.',
    schema: {
      params: webhookParamsSchema,
      querystring: deliveriesQuerySchema,
      response: { 200: deliveriesPageSchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const { id } = request.params
    if (await fastify.store.webhooks.get(id) === undefined) throw webhookNotFound(id)
    const { status, limit, before } = request.query
    const rows = await fastify.store.webhookDeliveries.list(id, { status, after: before, limit: limit + 1 })
    const page = rows.slice(0, limit)
    return { deliveries: page.map(deliveryView), next_before: rows.length > limit ? page[page.length - 1].id : null }
  })
}

export default plugin
