import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { defineRoute } from '../../src/api/route-kit.js'

const healthSchema = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] })

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'none',
    rateLimit: false,
    neverFails: true,
    operationId: 'getLiveness',
    tag: 'operations',
    summary: 'Liveness',
    description: 'Answers 200 while the process serves HTTP. Checks nothing else: use /readyz for readiness.',
    schema: {
      response: { 200: healthSchema }
    }
  }), async () => ({ status: 'ok' as const }))
}

export default plugin
