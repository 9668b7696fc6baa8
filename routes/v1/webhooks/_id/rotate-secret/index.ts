import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { createdWebhookSchema, PREVIOUS_SECRET_MS, webhookNotFound, webhookParamsSchema, webhookView } from '../../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { generateWebhookSecret } from '../../../../../src/events/signing.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    audit: 'webhook.rotate_secret',
    operationId: 'rotateWebhookSecret',
    tag: 'webhooks',
    summary: 'Rotate a webhook\'s signing secret',
    description: 'Makes a new signing secret and answers it ONCE in `secret`. For 24 hours every delivery carries two signatures in `webhook-signature`, one per secret (Standard Webhooks libraries accept a delivery when any matches), so the receiver can switch at its own pace; then only the new one signs. A second rotation within the 24 hours ends the first secret\'s grace at once.',
    schema: {
      params: webhookParamsSchema,
      response: { 200: createdWebhookSchema, ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { id } = request.params
    const secret = generateWebhookSecret()
    const rotated = await fastify.store.webhooks.rotateSecret(id, secret, PREVIOUS_SECRET_MS,
      fastify.auditRow(request, { action: 'webhook.rotate_secret', target: `/v1/webhooks/${id}` }))
    if (rotated === undefined) throw webhookNotFound(id)
    request.audited = true
    return reply.header('cache-control', 'no-store').send({ ...webhookView(rotated), secret })
  })
}

export default plugin
