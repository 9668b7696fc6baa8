import type { FastifyInstance } from 'fastify'
import { dep } from '../app.js'
import { deviceView } from '../protocol.js'
import { bodyObject, sendJson, serialsOf, versionOf } from '../reply.js'
import type { SimState } from '../state.js'
import type { SimDevice } from '../types.js'

/** The per-device outcome before any work: not ours, scripted failure, or the device. */
export function lookup (sim: SimState, serial: string): 'NOT_ACCESSIBLE' | 'FAILED' | SimDevice {
  const device = sim.world.devices.get(serial)
  if (device === undefined) return 'NOT_ACCESSIBLE'
  if (sim.config.failSerials.includes(serial)) return 'FAILED'
  return device
}

export function registerDeviceRoutes (app: FastifyInstance): void {
  app.post('/devices', dep('device_details'), async (request, reply) => {
    const sim = app.sim
    const version = versionOf(request)
    const devices: Record<string, Record<string, unknown>> = {}
    for (const serial of serialsOf(bodyObject(request))) {
      const found = lookup(sim, serial)
      // A serial this server cannot see gets only its status (dep-api.md §2.4).
      devices[serial] = typeof found === 'string' ? { response_status: found } : { ...deviceView(found, version), response_status: 'SUCCESS' }
    }
    return sendJson(reply, { devices })
  })

  app.post('/devices/disown', dep('disown_devices'), async (request, reply) => {
    const sim = app.sim
    const devices: Record<string, string> = {}
    for (const serial of serialsOf(bodyObject(request))) {
      const found = lookup(sim, serial)
      if (typeof found === 'string') {
        devices[serial] = found
      } else {
        sim.world.remove(serial, sim.now())
        devices[serial] = 'SUCCESS'
      }
    }
    return sendJson(reply, { devices })
  })
}
