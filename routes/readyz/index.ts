import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { defineRoute } from '../../src/api/route-kit.js'

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    store: z.enum(['ok', 'failed']),
    servers: z.array(z.object({
      name: z.string(),
      status: z.enum(['ok', 'token_expired'])
    }))
  }),
  reasons: z.array(z.string()).describe('Why the service is not ready; empty when ready')
}).meta({
  id: 'Readiness',
  examples: [{ status: 'ready', checks: { store: 'ok', servers: [{ name: 'default', status: 'ok' }] }, reasons: [] }]
})

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'none',
    rateLimit: false,
    neverFails: true,
    operationId: 'getReadiness',
    tag: 'operations',
    summary: 'Readiness',
    description: 'Answers 200 when the store answers and every DEP server has a token that has not expired; otherwise 503 with the reasons.',
    schema: {
      response: { 200: readySchema, 503: readySchema }
    }
  }), async (request, reply) => {
    const reasons: string[] = []
    let store: 'ok' | 'failed' = 'ok'
    try {
      await fastify.store.ping()
    } catch (err) {
      request.log.warn({ err }, 'store ping failed')
      store = 'failed'
      reasons.push('the store (database) does not answer')
    }
    const servers = fastify.depServers.list().map((s) => {
      if (s.token_expired) reasons.push(`the server token of "${s.name}" expired at ${String(s.token_expires_at)}`)
      return { name: s.name, status: s.token_expired ? 'token_expired' as const : 'ok' as const }
    })
    const ready = reasons.length === 0
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { store, servers }, reasons })
  })
}

export default plugin
