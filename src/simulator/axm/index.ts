/**
 * The Apple Business / School Manager API beside DEP on the simulator's port (docs/apple-axm.md §8):
 * Apple's token endpoint, the API under /v1 and the activity logs, none of which clash with DEP's paths.
 */
import type { FastifyInstance } from 'fastify'
import { registerActivityRoutes } from './activity-routes.js'
import { registerAxmControl } from './control.js'
import { registerDeviceRoutes } from './device-routes.js'
import { registerGate } from './gate.js'
import { registerTokenRoute } from './token-route.js'

export function registerAxm (app: FastifyInstance): void {
  registerGate(app)
  registerTokenRoute(app)
  registerDeviceRoutes(app)
  registerActivityRoutes(app)
  registerAxmControl(app)
}
