/** The organisation's devices and servers (docs/apple-axm.md §2.1–§2.7, §2.9). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isoSeconds } from '../clock.js'
import { appleCare } from './data.js'
import { fieldsOf, listDoc, notFound, origin, pageOf, pick, sendDoc, type Query } from './documents.js'
import { axm } from './gate.js'
import type { OrgRecord, SimServer } from './org.js'

type Id = { Params: { id: string }, Querystring: Query }
type List = { Querystring: Query }

const DEVICE_FIELDS = [
  'serialNumber', 'deviceModel', 'productFamily', 'productType', 'deviceCapacity', 'color', 'partNumber', 'orderNumber', 'orderDateTime',
  'purchaseSourceType', 'purchaseSourceId', 'addedToOrgDateTime', 'updatedDateTime', 'releasedFromOrgDateTime', 'status', 'imei', 'meid', 'eid',
  'wifiMacAddress', 'bluetoothMacAddress', 'ethernetMacAddress', 'assignedServer', 'appleCareCoverage'
] as const
const SERVER_FIELDS = ['serverName', 'serverType', 'createdDateTime', 'updatedDateTime', 'status', 'deviceCount', 'devices'] as const

function self (request: FastifyRequest): string {
  return origin(request) + request.url
}

export function registerDeviceRoutes (app: FastifyInstance): void {
  const sim = app.sim
  const org = sim.axm.org

  const device = (base: string, r: OrgRecord, fields: Set<string> | undefined, single: boolean): Record<string, unknown> => {
    const at = `${base}/v1/orgDevices/${r.serial}`
    const attributes: Record<string, unknown> = { ...org.attributes(r), status: r.server === null ? 'UNASSIGNED' : 'ASSIGNED', updatedDateTime: isoSeconds(r.updatedMs) }
    // docs/apple-axm.md §2.3: filled only on single-device GETs (null: the simulator never releases).
    if (single) attributes.releasedFromOrgDateTime = null
    return {
      type: 'orgDevices',
      id: r.serial,
      attributes: pick(attributes, fields),
      relationships: {
        assignedServer: { links: { self: `${at}/relationships/assignedServer`, related: `${at}/assignedServer` } },
        appleCareCoverage: { links: { self: `${at}/relationships/appleCareCoverage`, related: `${at}/appleCareCoverage` } }
      },
      links: { self: at }
    }
  }

  const server = (base: string, s: SimServer, fields: Set<string> | undefined): Record<string, unknown> => ({
    type: 'mdmServers',
    id: s.id,
    attributes: pick({ serverName: s.serverName, serverType: s.serverType, createdDateTime: s.createdDateTime, updatedDateTime: s.createdDateTime, status: 'ACTIVE', deviceCount: org.deviceCount(s.id) }, fields),
    relationships: { devices: { links: { self: `${base}/v1/mdmServers/${s.id}/relationships/devices` } } },
    links: { self: `${base}/v1/mdmServers/${s.id}` }
  })

  /** One page of `order` filtered by `keep`, from a position. */
  const walk = (position: number, limit: number, keep: (r: OrgRecord) => boolean): { page: OrgRecord[], next?: number } => {
    const page: OrgRecord[] = []
    let i = position
    for (; i < org.order.length && page.length < limit; i++) {
      const r = org.records.get(org.order[i]) as OrgRecord
      if (keep(r)) page.push(r)
    }
    while (i < org.order.length && !keep(org.records.get(org.order[i]) as OrgRecord)) i++
    return i < org.order.length ? { page, next: i } : { page }
  }

  const record = (reply: FastifyReply, id: string): OrgRecord | undefined => {
    const r = org.records.get(id)
    if (r === undefined) notFound(reply, 'orgDevices', id)
    return r
  }

  app.get<List>('/v1/orgDevices', axm('org_devices'), async (request, reply) => {
    const paging = pageOf(reply, request.query, sim.config.defaultLimit)
    if (!('limit' in paging)) return paging
    const fields = fieldsOf(reply, request.query, 'orgDevices', DEVICE_FIELDS)
    if (fields !== undefined && !(fields instanceof Set)) return fields
    const { page, next } = walk(paging.position, paging.limit, () => true)
    const base = origin(request)
    return sendDoc(reply, listDoc(self(request), page.map((r) => device(base, r, fields, false)), paging.limit, next, sim.now()))
  })

  app.get<Id>('/v1/orgDevices/:id', axm('org_device'), async (request, reply) => {
    const fields = fieldsOf(reply, request.query, 'orgDevices', DEVICE_FIELDS)
    if (fields !== undefined && !(fields instanceof Set)) return fields
    const r = record(reply, request.params.id)
    if (r === undefined) return reply
    return sendDoc(reply, { data: device(origin(request), r, fields, true), links: { self: self(request) } })
  })

  app.get<Id>('/v1/orgDevices/:id/relationships/assignedServer', axm('assigned_server'), async (request, reply) => {
    const r = record(reply, request.params.id)
    if (r === undefined) return reply
    if (r.server === null && sim.config.axmUnassignedLinkage === '404') return notFound(reply, 'mdmServers', 'assignedServer')
    const at = `${origin(request)}/v1/orgDevices/${r.serial}`
    return sendDoc(reply, { data: r.server === null ? null : { type: 'mdmServers', id: r.server }, links: { self: `${at}/relationships/assignedServer`, related: `${at}/assignedServer` } })
  })

  app.get<Id>('/v1/orgDevices/:id/appleCareCoverage', axm('applecare'), async (request, reply) => {
    const r = record(reply, request.params.id)
    if (r === undefined) return reply
    const data = appleCare(r.serial, org.attributes(r).orderDateTime as string, org.seed, sim.now()).map((c) => ({ type: 'appleCareCoverage', ...c }))
    return sendDoc(reply, { data, links: { self: self(request) }, meta: { paging: { limit: 1000 } } })
  })

  app.get<List>('/v1/mdmServers', axm('mdm_servers'), async (request, reply) => {
    const paging = pageOf(reply, request.query, sim.config.defaultLimit)
    if (!('limit' in paging)) return paging
    const fields = fieldsOf(reply, request.query, 'mdmServers', SERVER_FIELDS)
    if (fields !== undefined && !(fields instanceof Set)) return fields
    const all = [...org.servers.values()]
    const page = all.slice(paging.position, paging.position + paging.limit)
    const next = paging.position + paging.limit < all.length ? paging.position + paging.limit : undefined
    const base = origin(request)
    return sendDoc(reply, listDoc(self(request), page.map((s) => server(base, s, fields)), paging.limit, next, sim.now()))
  })

  app.get<Id>('/v1/mdmServers/:id/relationships/devices', axm('mdm_server_devices'), async (request, reply) => {
    const { id } = request.params
    if (!org.servers.has(id)) return notFound(reply, 'mdmServers', id)
    const paging = pageOf(reply, request.query, sim.config.defaultLimit)
    if (!('limit' in paging)) return paging
    const { page, next } = walk(paging.position, paging.limit, (r) => r.server === id)
    return sendDoc(reply, listDoc(self(request), page.map((r) => ({ type: 'orgDevices', id: r.serial })), paging.limit, next, sim.now()))
  })
}
