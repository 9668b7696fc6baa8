import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isoSeconds } from './clock.js'
import { CONTROL_DOCS } from './control-docs.js'
import { applyConfig } from './options.js'
import type { SimDevice } from './types.js'

const MAX_ADD = 100_000

function badRequest (reply: FastifyReply, error: string, status = 400): FastifyReply {
  return reply.code(status).send({ error })
}

function objectBody (request: FastifyRequest): Record<string, unknown> | undefined {
  const body = request.body ?? {}
  return typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : undefined
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The control API under /_sim (documented by GET /_sim): test fixtures and fault scripting. */
export function registerControl (app: FastifyInstance): void {
  const sim = app.sim
  type Serial = { Params: { serial: string } }

  app.get('/_sim', async () => CONTROL_DOCS)

  app.get('/_sim/devices', async () => ({ devices: sim.world.list() }))

  app.post('/_sim/devices', async (request, reply) => {
    const body = objectBody(request)
    const count = body?.count ?? 0
    const given = body?.devices ?? []
    if (body === undefined || !Number.isSafeInteger(count) || (count as number) < 0 || (count as number) > MAX_ADD) return badRequest(reply, `count must be an integer from 0 to ${MAX_ADD}`)
    if (!Array.isArray(given) || !given.every((d) => isPlainObject(d) && (d.serial_number === undefined || (typeof d.serial_number === 'string' && d.serial_number !== '')))) {
      return badRequest(reply, 'devices must be an array of objects with Apple field names')
    }
    const serials = (given as SimDevice[]).flatMap((d) => d.serial_number === undefined ? [] : [d.serial_number])
    const clash = serials.find((serial, i) => sim.world.devices.has(serial) || serials.indexOf(serial) !== i)
    if (clash !== undefined) return badRequest(reply, `serial ${clash} is already assigned or given twice`, 409)
    const now = sim.now()
    const added: SimDevice[] = []
    for (let i = 0; i < (count as number); i++) added.push(sim.world.add(now) as SimDevice)
    for (const fields of given as Array<Partial<SimDevice>>) added.push(sim.world.add(now, fields) as SimDevice)
    return { devices: added }
  })

  app.get<Serial>('/_sim/devices/:serial', async (request, reply) => {
    const device = sim.world.devices.get(request.params.serial)
    return device === undefined ? badRequest(reply, 'no such device', 404) : { device }
  })

  app.patch<Serial>('/_sim/devices/:serial', async (request, reply) => {
    const body = request.body
    if (!isPlainObject(body)) return badRequest(reply, 'body must be an object of device fields')
    const device = sim.world.modify(request.params.serial, sim.now(), body)
    return device === undefined ? badRequest(reply, 'no such device', 404) : { device }
  })

  app.delete<Serial>('/_sim/devices/:serial', async (request, reply) => {
    const released = objectBody(request)?.released_by_replacement === true
    const serial = request.params.serial
    return sim.world.remove(serial, sim.now(), released) ? { deleted: serial } : badRequest(reply, 'no such device', 404)
  })

  app.get('/_sim/profiles', async () => ({ profiles: [...sim.world.profiles.values()] }))

  app.get('/_sim/faults', async () => ({ faults: sim.faults.list() }))

  app.post('/_sim/faults', async (request, reply) => {
    const body = objectBody(request)
    const fault = sim.faults.add(body ?? {})
    return typeof fault === 'string' ? badRequest(reply, fault) : { id: fault.id }
  })

  app.delete('/_sim/faults', async () => ({ cleared: sim.faults.clear() }))

  app.delete<{ Params: { id: string } }>('/_sim/faults/:id', async (request) => ({ cleared: sim.faults.remove(Number(request.params.id)) ? 1 : 0 }))

  app.post('/_sim/sessions/expire', async () => ({ expired: sim.sessions.expireAll(sim.now()) }))

  app.get('/_sim/clock', async () => ({ now: isoSeconds(sim.now()) }))

  app.post('/_sim/clock', async (request, reply) => {
    const advanceMs = objectBody(request)?.advanceMs
    if (!Number.isSafeInteger(advanceMs) || (advanceMs as number) < 0) return badRequest(reply, 'advanceMs must be a non-negative integer')
    sim.clock.advance(advanceMs as number)
    return { now: isoSeconds(sim.now()) }
  })

  app.get('/_sim/stats', async () => sim.stats())

  app.post('/_sim/stats/reset', async () => {
    sim.resetStats()
    return sim.stats()
  })

  app.get('/_sim/config', async () => sim.config)

  app.patch('/_sim/config', async (request, reply) => {
    const body = request.body
    if (!isPlainObject(body)) return badRequest(reply, 'body must be an object')
    const bad = applyConfig(sim.config, body)
    return bad === undefined ? sim.config : badRequest(reply, `invalid value for ${bad}`)
  })
}
