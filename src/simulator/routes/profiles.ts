import type { FastifyInstance } from 'fastify'
import { validateProfile } from '../../dep/profile-rules.js'
import { dep } from '../route-config.js'
import { isoSeconds } from '../clock.js'
import { assignStatus, profileView } from '../protocol.js'
import { bodyObject, sendError, sendJson, serialsOf, SimHttpError, versionOf } from '../reply.js'
import type { SimState } from '../state.js'
import { lookup, statusPerSerial } from './devices.js'

/** Apple's UUIDs are upper-case hex without dashes; clients send other spellings (zentral normalises). */
function normaliseUuid (value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  return value.replace(/-/g, '').toUpperCase()
}

interface Throttle { left: number, retryAfter: number }

function assign (sim: SimState, uuid: string, serials: string[], throttle?: Throttle): Record<string, string> {
  const now = sim.now()
  const out: Record<string, string> = {}
  for (const serial of serials) {
    const found = lookup(sim, serial)
    if (typeof found === 'string') {
      out[serial] = found
    } else if (throttle !== undefined && (sim.config.throttleSerials.includes(serial) || throttle.left > 0)) {
      if (!sim.config.throttleSerials.includes(serial)) throttle.left--
      out[serial] = 'THROTTLED'
    } else {
      sim.world.modify(serial, now, { profile_uuid: uuid, profile_status: 'assigned', profile_assign_time: isoSeconds(now), profile_push_time: null })
      out[serial] = 'SUCCESS'
    }
  }
  return out
}

export function registerProfileRoutes (app: FastifyInstance): void {
  app.post('/profile', dep('define_profile'), async (request, reply) => {
    const sim = app.sim
    const body = bodyObject(request)
    const violation = validateProfile(body)
    if (violation !== undefined) return sendError(reply, 400, violation.code)
    const { devices = [], ...profile } = body
    delete profile.profile_uuid
    if (!Array.isArray(devices) || !devices.every((s) => typeof s === 'string')) throw new SimHttpError(400, 'MALFORMED_REQUEST_BODY')
    const uuid = sim.world.newProfileUuid()
    sim.world.profiles.set(uuid, { ...profile, profile_uuid: uuid })
    return sendJson(reply, { profile_uuid: uuid, devices: assign(sim, uuid, devices as string[]) })
  })

  app.get('/profile', dep('get_profile'), async (request, reply) => {
    const uuid = normaliseUuid((request.query as Record<string, unknown>).profile_uuid)
    if (uuid === undefined) return sendError(reply, 400, 'PROFILE_UUID_REQUIRED')
    const profile = app.sim.world.profiles.get(uuid)
    // 400, as Apple's page says (docs/apple-dep.md §2.7).
    if (profile === undefined) return sendError(reply, 400, 'NOT_FOUND')
    return sendJson(reply, profileView(profile, versionOf(request)))
  })

  // Apple documents POST; depsim requires PUT, which nanodep and Fleet still send (docs/apple-dep.md §2.8).
  app.route({
    method: ['POST', 'PUT'],
    url: '/profile/devices',
    ...dep('assign_profile'),
    handler: async (request, reply) => {
      const sim = app.sim
      const body = bodyObject(request)
      const uuid = normaliseUuid(body.profile_uuid)
      if (uuid === undefined) return sendError(reply, 400, 'PROFILE_UUID_REQUIRED')
      const serials = serialsOf(body)
      if (!sim.world.profiles.has(uuid)) return sendError(reply, 404, 'PROFILE_NOT_FOUND')
      const fault = sim.faults.take('assign_profile', 'throttle')
      const throttle = { left: fault?.count ?? (fault === undefined ? 0 : Infinity), retryAfter: fault?.retryAfter ?? sim.config.throttleRetryAfterSec }
      const version = versionOf(request)
      const devices = assign(sim, uuid, serials, throttle)
      const throttled = Object.values(devices).includes('THROTTLED')
      for (const [serial, status] of Object.entries(devices)) devices[serial] = assignStatus(status, version)
      const response: Record<string, unknown> = { profile_uuid: uuid, devices }
      // 0 stands for an answer without it: Apple's documentation does not promise the field with every THROTTLED.
      if (throttled && version >= 10 && throttle.retryAfter > 0) response.retry_after_seconds = throttle.retryAfter
      return sendJson(reply, response)
    }
  })

  // A body on DELETE; `profile_uuid` in it is documented but unused by Apple (docs/apple-dep.md §2.9).
  app.delete('/profile/devices', dep('remove_profile'), async (request, reply) => {
    const sim = app.sim
    const devices = statusPerSerial(sim, bodyObject(request), (device) => {
      sim.world.modify(device.serial_number, sim.now(), { profile_status: 'removed', profile_uuid: null, profile_push_time: null })
    })
    return sendJson(reply, { devices })
  })
}
