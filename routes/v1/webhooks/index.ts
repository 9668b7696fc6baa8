import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { checkWebhookUrl, createdWebhookSchema, createWebhookSchema, webhookSchema, webhookView } from '../../../src/api/webhooks.js'
import { defineRoute } from '../../../src/api/route-kit.js'
import { generateWebhookSecret } from '../../../src/events/signing.js'
import { problemResponses } from '../../../src/problems.js'

const CREATE_DESCRIPTION = `Subscribes a URL to depgate's events and answers the signing secret ONCE in \`secret\` (\`whsec_\` + base64 of 32 random bytes; depgate keeps it sealed).

Each event is POSTed as JSON \`{ type, id, timestamp, data }\` with the Standard Webhooks headers \`webhook-id\`, \`webhook-timestamp\` and \`webhook-signature\` (\`v1,<base64 HMAC-SHA256 of "id.timestamp.body">\`): verify them with any Standard Webhooks library. Delivery is at least once, in order per subscription, retried for 3 days (5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h); a 2xx answer is success, 410 Gone disables the subscription.

The URL must be http(s), without user:password@; private addresses are allowed unless DEPGATE_WEBHOOK_ALLOW lists the hosts webhooks may go to (a refused URL answers 400 \`WEBHOOK_URL_REFUSED\`).`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    operationId: 'listWebhooks',
    tag: 'webhooks',
    summary: 'List webhook subscriptions',
    description: 'Every subscription, enabled or not, oldest first. Never a secret.',
    schema: {
      response: { 200: z.object({ webhooks: z.array(webhookSchema) }), ...problemResponses() }
    }
  }), async () => ({ webhooks: (await fastify.store.webhooks.list()).map(webhookView) }))

  fastify.post('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_URL_REFUSED'],
    audit: 'webhook.create',
    operationId: 'createWebhook',
    sends: ['Location'],
    tag: 'webhooks',
    summary: 'Create a webhook subscription',
    description: CREATE_DESCRIPTION,
    schema: {
      body: createWebhookSchema,
      response: { 201: createdWebhookSchema, ...problemResponses(413, 415) }
    }
  }), async (request, reply) => {
    const url = checkWebhookUrl(request.body.url, fastify.webhooks.allow)
    const secret = generateWebhookSecret()
    const record = await fastify.store.webhooks.create({ ...request.body, url, secret },
      fastify.auditRow(request, { action: 'webhook.create', target: '/v1/webhooks', detail: `events=${request.body.events.join(',')}` }))
    request.audited = true
    return reply.code(201).header('location', `/v1/webhooks/${record.id}`).header('cache-control', 'no-store')
      .send({ ...webhookView(record), secret })
  })
}

export default plugin
