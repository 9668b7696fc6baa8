/**
 * Device activities (docs/apple-axm.md §5): create, read, and the per-serial CSV log behind the
 * presigned `downloadUrl`, served on the same port in place of Apple's blob store.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { isoSeconds } from '../clock.js'
import { notFound, origin, sendAxmError, sendDoc, type Query } from './documents.js'
import { axm } from './gate.js'
import type { ActivityType, SimActivity } from './org.js'

const TYPES: readonly string[] = ['ASSIGN_DEVICES', 'UNASSIGN_DEVICES']
/** Apple keeps activities 30 days (docs/apple-axm.md §5.2). */
const RETENTION_MS = 30 * 86_400_000
/** Apple's example link expires about 60 s after it was handed out (docs/apple-axm.md §5.3). */
const LINK_TTL_SEC = 60

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((at, key) => isRecord(at) ? at[key] : undefined, v)

function csvField (value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function registerActivityRoutes (app: FastifyInstance): void {
  const sim = app.sim
  const org = sim.axm.org
  const timing = (): { activityMs: number, lagMs: number } => ({ activityMs: sim.config.axmActivityMs, lagMs: sim.config.axmConsistencyLagMs })
  const signature = (id: string, expires: string): Buffer => createHmac('sha256', sim.axm.logSecret).update(`${id}:${expires}`).digest()

  const resource = (base: string, a: SimActivity): Record<string, unknown> => {
    const now = sim.now()
    const state = org.activityState(a, now, timing())
    const attributes: Record<string, unknown> = { status: state.status, subStatus: state.subStatus, createdDateTime: isoSeconds(a.createdMs) }
    if (state.completedMs !== undefined) {
      const expires = String(Math.floor(now / 1000) + LINK_TTL_SEC)
      attributes.completedDateTime = isoSeconds(state.completedMs)
      attributes.downloadUrl = `${base}/_axm/activity-logs/${a.id}.csv?Expires=${expires}&Signature=${signature(a.id, expires).toString('hex')}`
    }
    return { type: 'orgDeviceActivities', id: a.id, attributes, links: { self: `${base}/v1/orgDeviceActivities/${a.id}` } }
  }

  const invalid = (reply: FastifyReply, detail: string, pointer: string): FastifyReply => sendAxmError(reply, 400, detail, { code: 'ENTITY_ERROR.ATTRIBUTE.INVALID', source: { pointer } })

  app.post('/v1/orgDeviceActivities', axm('create_activity'), async (request, reply) => {
    const body = request.body
    if (get(body, 'data', 'type') !== 'orgDeviceActivities') return invalid(reply, 'data.type must be orgDeviceActivities', '/data/type')
    const type = get(body, 'data', 'attributes', 'activityType')
    if (typeof type !== 'string' || !TYPES.includes(type)) return invalid(reply, 'activityType is not a supported activity type', '/data/attributes/activityType')
    const serverId = get(body, 'data', 'relationships', 'mdmServer', 'data', 'id')
    if (typeof serverId !== 'string') return invalid(reply, 'mdmServer is required', '/data/relationships/mdmServer')
    const devices = get(body, 'data', 'relationships', 'devices', 'data')
    if (!Array.isArray(devices) || devices.length === 0 || !devices.every((d) => typeof get(d, 'id') === 'string')) {
      return invalid(reply, 'devices must list at least one device', '/data/relationships/devices/data')
    }
    // docs/apple-axm.md §5: an unknown server or serial is a 409 at creation time.
    if (!org.servers.has(serverId)) {
      return sendAxmError(reply, 409, `There is no device management service with id '${serverId}'`, { code: 'ENTITY_ERROR.RELATIONSHIP.INVALID', source: { pointer: '/data/relationships/mdmServer/data/id' } })
    }
    const serials = devices.map((d) => get(d, 'id') as string)
    const unknown = serials.findIndex((s) => !org.records.has(s))
    if (unknown >= 0) {
      return sendAxmError(reply, 409, `There is no device with serial number '${serials[unknown]}' in this organization`, { code: 'ENTITY_ERROR.RELATIONSHIP.INVALID', source: { pointer: `/data/relationships/devices/data/${unknown}/id` } })
    }
    const activity = org.createActivity(type as ActivityType, serverId, serials, sim.now(), sim.config.axmFailSerials)
    const base = origin(request)
    return sendDoc(reply, { data: resource(base, activity), links: { self: `${base}/v1/orgDeviceActivities` } }, 201)
  })

  app.get<{ Params: { id: string } }>('/v1/orgDeviceActivities/:id', axm('get_activity'), async (request, reply) => {
    const { id } = request.params
    const activity = org.activities.get(id)
    if (activity === undefined || sim.now() - activity.createdMs > RETENTION_MS) return notFound(reply, 'orgDeviceActivities', id)
    return sendDoc(reply, { data: resource(origin(request), activity), links: { self: origin(request) + request.url } })
  })

  // The log's columns are not documented (docs/apple-axm.md §5.3): serial, result, reason.
  app.get<{ Params: { file: string }, Querystring: Query }>('/_axm/activity-logs/:file', axm('activity_log', false), async (request, reply) => {
    const id = request.params.file.replace(/\.csv$/, '')
    const { Expires: expires = '', Signature: given = '' } = request.query
    const expected = signature(id, expires)
    const sent = Buffer.from(given, 'hex')
    const activity = org.activities.get(id)
    if (activity === undefined || sent.length !== expected.length || !timingSafeEqual(sent, expected) || Number(expires) * 1000 < sim.now()) {
      return reply.code(403).type('application/xml').send('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>')
    }
    const lines = ['Serial Number,Result,Reason', ...activity.outcomes.map((o) => [o.serial, o.result, o.reason ?? ''].map(csvField).join(','))]
    return reply.code(200).type('text/csv').send(lines.join('\r\n') + '\r\n')
  })
}
