/**
 * Apple's token endpoint (docs/apple-axm.md §1.3–§1.5): both paths in use, the parameters as a
 * form body or a query string, every refusal a bare 400 `invalid_client`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { axm } from './gate.js'

export function registerTokenRoute (app: FastifyInstance): void {
  const sim = app.sim
  // Form bodies, which the simulator's catch-all JSON parser would refuse.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = typeof request.body === 'object' && request.body !== null ? request.body : {}
    const form = { ...request.query as Record<string, unknown>, ...body as Record<string, unknown> }
    const now = sim.now()
    const result = await sim.axm.auth.check(form, { nowSec: Math.floor(now / 1000), skewSec: sim.config.axmAssertionSkewSec, requireIss: sim.config.axmRequireIss })
    if (!result.ok) {
      request.log.info({ reason: result.reason }, 'AxM token request refused')
      return reply.code(400).type('application/json').send({ error: 'invalid_client' })
    }
    const ttl = sim.config.axmTokenTtlSec
    const token = sim.axm.auth.issue(result.account.clientId, result.scope, now, ttl)
    return reply.code(200).type('application/json').header('cache-control', 'no-store').send({ access_token: token, token_type: 'Bearer', expires_in: ttl, scope: result.scope })
  }
  app.post('/auth/oauth2/token', axm('token', false), handler)
  app.post('/auth/oauth2/v2/token', axm('token', false), handler)
}
