import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { defineRoute } from '../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'none',
    rateLimit: false,
    neverFails: true,
    produces: ['text/plain; version=0.0.4'],
    operationId: 'getMetrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    description: 'Prometheus text format: HTTP requests by route and status, requests to Apple by endpoint and status with latency, DEP session acquisitions and retries. Restrict it by network in deployment.',
    schema: {
      response: { 200: z.string().meta({ examples: ['# HELP depgate_http_requests_total HTTP requests served, by route pattern and status\n'] }) }
    }
  }), async (_request, reply) => {
    const { registry } = fastify.metrics
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}

export default plugin
