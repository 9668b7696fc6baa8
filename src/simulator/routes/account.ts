import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
import { accountView } from '../protocol.js'
import { sendJson, versionOf } from '../reply.js'

export function registerAccountRoutes (app: FastifyInstance): void {
  app.get('/account', dep('account'), async (request, reply) => {
    const sim = app.sim
    const limit = { default: sim.config.defaultLimit, maximum: sim.config.maxLimit }
    // `urls` self-describes the API and its paging limits (docs/apple-dep.md §2.1).
    const urls = [
      { uri: '/session', http_method: ['GET'] },
      { uri: '/account', http_method: ['GET'] },
      { uri: '/server/devices', http_method: ['POST'], limit },
      { uri: '/devices/sync', http_method: ['POST'], limit },
      { uri: '/devices', http_method: ['POST'] },
      { uri: '/devices/disown', http_method: ['POST'] },
      { uri: '/profile', http_method: ['POST', 'GET'] },
      { uri: '/profile/devices', http_method: ['DELETE', 'POST', 'PUT'] },
      { uri: '/device/activationlock', http_method: ['POST'] },
      { uri: '/device/replacementDetails', http_method: ['GET'] },
      { uri: '/os-beta-enrollment/tokens', http_method: ['GET'] },
      { uri: '/account-driven-enrollment/profile', http_method: ['DELETE', 'POST', 'GET'] }
    ]
    return sendJson(reply, accountView({ ...sim.account, org_type: sim.config.orgType, urls }, versionOf(request)))
  })
}
