import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { checkWebhookUrl, patchWebhookSchema, webhookNotFound, webhookParamsSchema, webhookSchema, webhookView } from '../../../../src/api/webhooks.js'
import { defineRoute } from '../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    operationId: 'getWebhook',
    tag: 'webhooks',
    summary: 'Get a webhook subscription',
    description: 'One subscription, without its secret.',
    schema: {
      params: webhookParamsSchema,
      response: { 200: webhookSchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const found = await fastify.store.webhooks.get(request.params.id)
    if (found === undefined) throw webhookNotFound(request.params.id)
    return webhookView(found)
  })

  fastify.patch('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND', 'WEBHOOK_URL_REFUSED'],
    audit: 'webhook.update',
    operationId: 'updateWebhook',
    tag: 'webhooks',
    summary: 'Change a webhook subscription',
    description: 'Changes the fields given (url, events, servers, orgs, description, enabled). Enabling a subscription depgate disabled resumes its pending deliveries, in order; events that happened while it was disabled were not queued for it (`POST …/replay` sends them).',
    schema: {
      params: webhookParamsSchema,
      body: patchWebhookSchema,
      response: { 200: webhookSchema, ...problemResponses(404, 413, 415) }
    }
  }), async (request) => {
    const { id } = request.params
    const fields = Object.keys(request.body).sort().join(',')
    const changes = request.body.url === undefined ? request.body : { ...request.body, url: checkWebhookUrl(request.body.url, fastify.webhooks.allow) }
    const updated = await fastify.store.webhooks.update(id, changes,
      fastify.auditRow(request, { action: 'webhook.update', target: `/v1/webhooks/${id}`, detail: `fields=${fields}` }))
    if (updated === undefined) throw webhookNotFound(id)
    request.audited = true
    if (updated.enabled) fastify.webhooks.kick()
    return webhookView(updated)
  })

  fastify.delete('/', defineRoute({
    scope: 'admin',
    problems: ['WEBHOOK_NOT_FOUND'],
    audit: 'webhook.delete',
    operationId: 'deleteWebhook',
    tag: 'webhooks',
    summary: 'Delete a webhook subscription',
    description: 'Deletes the subscription and its deliveries, pending ones included.',
    schema: {
      params: webhookParamsSchema,
      response: { 204: z.null().describe('Deleted'), ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { id } = request.params
    if (!(await fastify.store.webhooks.delete(id, fastify.auditRow(request, { action: 'webhook.delete', target: `/v1/webhooks/${id}` })))) {
      throw webhookNotFound(id)
    }
    request.audited = true
    return await reply.code(204).send(null)
  })
}

export default plugin
