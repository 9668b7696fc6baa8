import type { FastifyInstance, FastifyReply } from 'fastify'
import { dep } from '../route-config.js'
import { isoSeconds } from '../clock.js'
import { CURSOR_LIFETIME_MS, decodeCursor, encodeCursor, type FetchCursor } from '../cursors.js'
import type { SimulatorConfig } from '../options.js'
import { deviceView, eventView } from '../protocol.js'
import { bodyObject, sendError, sendJson, SimHttpError, versionOf } from '../reply.js'
import type { SimState } from '../state.js'

/** `limit`: default and clamp per config; bad values per `invalidLimit` (Apple's behaviour is Unknown). */
export function pageLimit (value: unknown, config: SimulatorConfig): number {
  if (value === undefined || value === null) return config.defaultLimit
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    if (config.invalidLimit === 'default') return config.defaultLimit
    throw new SimHttpError(400, 'MALFORMED_REQUEST_BODY')
  }
  return Math.min(value as number, config.maxLimit)
}

/** Apple's loop anomaly (docs/apple-dep.md §3.5): the cursor that was sent, no devices, more_to_follow true. */
function sameCursor (sim: SimState, reply: FastifyReply, endpoint: 'fetch_devices' | 'sync_devices', cursor: string): FastifyReply | undefined {
  if (sim.faults.take(endpoint, 'same_cursor') === undefined) return undefined
  return sendJson(reply, { devices: [], cursor, fetched_until: isoSeconds(sim.now()), more_to_follow: true })
}

export function registerSyncRoutes (app: FastifyInstance): void {
  app.post('/server/devices', dep('fetch_devices'), async (request, reply) => {
    const sim = app.sim
    const body = bodyObject(request)
    const limit = pageLimit(body.limit, sim.config)
    const now = sim.now()
    let cursor: FetchCursor
    if (body.cursor === undefined || body.cursor === null || body.cursor === '') {
      cursor = { kind: 'fetch', pos: 0, end: sim.world.orderLength, seq: sim.world.logLength, done: false, issued: now }
    } else {
      const decoded = decodeCursor(body.cursor)
      if (decoded === undefined || decoded.seq > sim.world.logLength) return sendError(reply, 400, 'INVALID_CURSOR')
      // A finished fetch, or a sync cursor: the fetch is over, go and sync (clients switch on this code).
      if (decoded.kind === 'sync' || decoded.done) return sendError(reply, 400, 'EXHAUSTED_CURSOR')
      if (decoded.pos > decoded.end || decoded.end > sim.world.orderLength) return sendError(reply, 400, 'INVALID_CURSOR')
      cursor = decoded
    }
    const same = sameCursor(sim, reply, 'fetch_devices', typeof body.cursor === 'string' && body.cursor !== '' ? body.cursor : encodeCursor(cursor))
    if (same !== undefined) return same
    const page = sim.world.fetchSlice(cursor.pos, cursor.end, limit)
    const next: FetchCursor = { ...cursor, pos: page.pos, done: !page.more, issued: now }
    const version = versionOf(request)
    return sendJson(reply, {
      devices: page.devices.map((d) => deviceView(d, version)),
      cursor: encodeCursor(next),
      fetched_until: isoSeconds(now),
      more_to_follow: page.more
    })
  })

  app.post('/devices/sync', dep('sync_devices'), async (request, reply) => {
    const sim = app.sim
    const body = bodyObject(request)
    const limit = pageLimit(body.limit, sim.config)
    if (body.cursor === undefined || body.cursor === null || body.cursor === '') return sendError(reply, 400, 'CURSOR_REQUIRED')
    const cursor = decodeCursor(body.cursor)
    if (cursor === undefined || cursor.seq > sim.world.logLength) return sendError(reply, 400, 'INVALID_CURSOR')
    const now = sim.now()
    if (now - cursor.issued > CURSOR_LIFETIME_MS) return sendError(reply, 400, 'EXPIRED_CURSOR')
    const same = sameCursor(sim, reply, 'sync_devices', body.cursor as string)
    if (same !== undefined) return same
    const page = sim.world.eventsFrom(cursor.seq, limit)
    const version = versionOf(request)
    return sendJson(reply, {
      devices: page.events.map((e) => eventView(e, version)),
      cursor: encodeCursor({ kind: 'sync', seq: page.seq, issued: now }),
      fetched_until: isoSeconds(now),
      more_to_follow: page.more
    })
  })
}
