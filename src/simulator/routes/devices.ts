import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
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

/** `{serial: status}` for a per-device write: `act` runs only on devices this server can change. */
export function statusPerSerial (sim: SimState, body: Record<string, unknown>, act: (device: SimDevice) => void): Record<string, string> {
  const devices: Record<string, string> = {}
  for (const serial of serialsOf(body)) {
    const found = lookup(sim, serial)
    if (typeof found === 'string') {
      devices[serial] = found
    } else {
      act(found)
      devices[serial] = 'SUCCESS'
    }
  }
  return devices
}

export function registerDeviceRoutes (app: FastifyInstance): void {
  app.post('/devices', dep('device_details'), async (request, reply) => {
    const sim = app.sim
    const version = versionOf(request)
    const devices: Record<string, Record<string, unknown>> = {}
    for (const serial of serialsOf(bodyObject(request))) {
      const found = lookup(sim, serial)
      // A serial this server cannot see gets only its status (docs/apple-dep.md §2.4).
      devices[serial] = typeof found === 'string' ? { response_status: found } : { ...deviceView(found, version), response_status: 'SUCCESS' }
    }
    return sendJson(reply, { devices })
  })

  app.post('/devices/disown', dep('disown_devices'), async (request, reply) => {
    const sim = app.sim
    const devices = statusPerSerial(sim, bodyObject(request), (device) => { sim.world.remove(device.serial_number, sim.now()) })
    return sendJson(reply, { devices })
  })
}
