import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'

const healthSchema = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] })

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'none', rateLimit: false },
    schema: {
      summary: 'Liveness',
      description: 'Answers 200 while the process serves HTTP. Checks nothing else: use /readyz for readiness. No API key needed.',
      tags: ['operations'],
      security: [],
      response: { 200: healthSchema }
    }
  }, async () => ({ status: 'ok' as const }))
}

export default plugin
