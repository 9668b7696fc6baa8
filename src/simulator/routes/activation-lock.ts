import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
import { bodyObject, sendError, sendJson } from '../reply.js'
import { lookup } from './devices.js'

const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string'

export function registerActivationLockRoutes (app: FastifyInstance): void {
  // docs/apple-dep.md §2.10: the only documented request error is MALFORMED_REQUEST_BODY.
  app.post('/device/activationlock', dep('activation_lock'), async (request, reply) => {
    const sim = app.sim
    const body = bodyObject(request)
    const serial = body.device
    if (typeof serial !== 'string' || serial === '' || !optionalString(body.escrow_key) || !optionalString(body.lost_message)) {
      return sendError(reply, 400, 'MALFORMED_REQUEST_BODY')
    }
    const found = lookup(sim, serial)
    let status: string
    if (typeof found === 'string') status = found
    else if (!sim.config.activationLockSupported) status = 'ORG_NOT_SUPPORTED'
    // Activation Lock exists for iOS, iPadOS, macOS and visionOS devices, not Apple TV.
    else if (found.device_family === 'AppleTV') status = 'DEVICE_NOT_SUPPORTED'
    else if (sim.world.locked.has(serial)) status = 'DEVICE_ALREADY_LOCKED'
    else {
      sim.world.locked.add(serial)
      status = 'SUCCESS'
    }
    return sendJson(reply, { serial_number: serial, response_status: status })
  })
}
