import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'none', rateLimit: false, produces: ['text/plain'] },
    schema: {
      summary: 'Prometheus metrics',
      description: 'Prometheus text format: HTTP requests by route and status, requests to Apple by endpoint and status with latency, DEP session acquisitions and retries. No API key: restrict it by network in deployment.',
      tags: ['operations'],
      security: [],
      response: { 200: z.string().meta({ examples: ['# HELP depgate_http_requests_total HTTP requests served, by route pattern and status\n'] }) }
    }
  }, async (_request, reply) => {
    const { registry } = fastify.metrics
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}

export default plugin
