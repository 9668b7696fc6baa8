import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
import { sendError, sendJson, versionOf } from '../reply.js'

export function registerMiscRoutes (app: FastifyInstance): void {
  app.get('/device/replacementDetails', dep('replacement_details'), async (request, reply) => {
    const sim = app.sim
    const serial = (request.query as Record<string, unknown>).device
    if (typeof serial !== 'string' || serial === '') return sendError(reply, 400, 'DEVICE_ID_REQUIRED')
    const device = sim.world.devices.get(serial)
    // Apple requires protocol ≥ 10 here but documents no error for older versions: DEVICE_NOT_FOUND
    // is our guess. The status is configurable because Apple documents 404 and answers 400
    // (docs/apple-dep.md §2.11).
    if (versionOf(request) < 10 || device?.is_replacement_device !== true) {
      return sendError(reply, sim.config.replacementNotFoundStatus, 'DEVICE_NOT_FOUND')
    }
    const info = sim.world.replacements.get(serial) ?? {
      // Flagged through the control API without details: invent a plausible original.
      original_device_serial_number: `${serial.slice(0, 3)}${serial.slice(3).split('').reverse().join('')}`,
      replacement_date: (device.device_assigned_date ?? '2025-01-01').slice(0, 10)
    }
    return sendJson(reply, { serial_number: serial, ...info })
  })

  app.get('/os-beta-enrollment/tokens', dep('beta_enrollment_tokens'), async (_request, reply) => {
    const sim = app.sim
    if (!sim.config.betaAccess) return sendError(reply, 403, 'APPLE_SEED_FOR_IT_TURNED_OFF')
    return sendJson(reply, { betaEnrollmentTokens: sim.betaTokens })
  })
}
