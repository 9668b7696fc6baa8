import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
import { isoSeconds } from '../clock.js'
import { bodyObject, sendEmpty, sendError, sendJson } from '../reply.js'

const PATH = '/account-driven-enrollment/profile'

function isHttpsUrl (value: string): boolean {
  try {
    return new URL(value).protocol === 'https:'
  } catch {
    return false
  }
}

/** Account-driven enrollment service discovery (docs/apple-dep.md §2.13). */
export function registerAdeRoutes (app: FastifyInstance): void {
  app.post(PATH, dep('ade_profile_set'), async (request, reply) => {
    const sim = app.sim
    if (!sim.config.adeSupported) return sendError(reply, 400, 'ORG_NOT_SUPPORTED')
    const url = bodyObject(request).mdm_service_discovery_url
    if (url === undefined || url === null || url === '') return sendError(reply, 400, 'MDM_SERVICE_DISCOVERY_URL_REQUIRED')
    if (typeof url !== 'string' || !isHttpsUrl(url)) return sendError(reply, 400, 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID')
    sim.world.adeProfile = { mdm_service_discovery_url: url, last_updated_timestamp: isoSeconds(sim.now()) }
    return sendEmpty(reply)
  })

  app.get(PATH, dep('ade_profile_get'), async (_request, reply) => {
    const sim = app.sim
    if (!sim.config.adeSupported) return sendError(reply, 400, 'ORG_NOT_SUPPORTED')
    if (sim.world.adeProfile === undefined) return sendError(reply, 404, 'NOT_FOUND')
    return sendJson(reply, sim.world.adeProfile)
  })

  app.delete(PATH, dep('ade_profile_delete'), async (_request, reply) => {
    const sim = app.sim
    if (!sim.config.adeSupported) return sendError(reply, 400, 'ORG_NOT_SUPPORTED')
    sim.world.adeProfile = undefined
    return sendEmpty(reply)
  })
}
