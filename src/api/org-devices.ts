/**
 * Reads of the org mirror: devices by filter (JSON pages with totals; NDJSON or CSV the whole list,
 * a batch at a time from the database), one device (from the mirror, or live from Apple with its
 * MDM server and AppleCare coverage), and the MDM servers with their device counts.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { AppleCareCoverage } from '../axm/index.js'
import { AxmError } from '../axm/index.js'
import { orgNotFound } from '../orgs/registry.js'
import { httpProblem } from '../problems.js'
import type { OrgDevice, OrgDeviceFilters, OrgStateRow } from '../store/index.js'
import { orgColumns } from '../store/org-mirror.js'
import { csvBatches, csvCell, CSV_CONTENT_TYPE } from './device-csv.js'
import type { ListFormat } from './list-format.js'
import { live, takeLiveGets } from './org-live.js'
import type { orgDeviceAnswerSchema, orgDeviceListSchema, orgDeviceQuerySchema, orgMdmServerListSchema } from './org-schemas.js'

type Query = z.infer<typeof orgDeviceQuerySchema>
const BATCH = 1000
const DEFAULT_PAGE = 100

/** The columns of the CSV list: depgate's, then Apple's attributes a spreadsheet wants. */
export const ORG_CSV_COLUMNS = [
  'serial_number', 'status', 'mdm_server', 'product_family', 'order_number', 'purchase_source', 'applecare_end',
  'deviceModel', 'productType', 'deviceCapacity', 'color', 'partNumber', 'orderDateTime', 'purchaseSourceId',
  'addedToOrgDateTime', 'updatedDateTime', 'imei', 'meid', 'eid', 'wifiMacAddress', 'bluetoothMacAddress', 'ethernetMacAddress'
] as const

/** The org's mirror state, once its first refresh has completed; 404 or 503 before. */
async function readyState (fastify: FastifyInstance, org: string): Promise<OrgStateRow> {
  if (await fastify.store.orgs.info(org) === undefined) throw orgNotFound(org)
  const state = await fastify.store.orgMirror.getState(org)
  if (state?.last_refresh_at == null) {
    throw httpProblem(503, 'ORG_MIRROR_NOT_READY', `depgate is still reading every device of org "${org}" from Apple; try again in a moment.`, { retryAfterSeconds: 30 })
  }
  return state
}

function filters (query: Query): OrgDeviceFilters {
  const out: OrgDeviceFilters = {}
  for (const key of ['status', 'mdm_server', 'product_family', 'serial_prefix', 'order_number', 'purchase_source'] as const) {
    const value = query[key]
    if (value !== undefined) out[key] = value.split(',').map((v) => v.trim()).filter((v) => v !== '')
  }
  return out
}

/** Page tokens are the last serial of a page, tied to the filters they were given for. */
function filtersHash (org: string, f: OrgDeviceFilters): string {
  const norm = (Object.entries(f) as Array<[string, string[]]>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.map((x: string) => x.toLowerCase()).sort()])
  return createHash('sha256').update(JSON.stringify([org, norm])).digest('base64url').slice(0, 12)
}

function decodeToken (token: string, hash: string): string {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('\n')
  if (parts.length !== 2 || parts[1] !== hash || parts[0] === '') {
    throw httpProblem(400, 'INVALID_PAGE_TOKEN', 'The page_token is not one depgate gave out for these filters. Pass the previous page\'s next_page_token unchanged, with the same filters; or leave page_token out to start from the first page.', {
      errors: [{ field: 'querystring.page_token', message: 'is not one depgate gave out for these filters' }]
    })
  }
  return parts[0]
}

async function * batches (fastify: FastifyInstance, org: string, f: OrgDeviceFilters): AsyncGenerator<OrgDevice[], void, undefined> {
  let after: string | undefined
  for (;;) {
    const page = await fastify.store.orgMirror.listDevices(org, f, { limit: BATCH, after })
    yield page.devices
    if (page.next === undefined) return
    after = page.next
  }
}

const csvRow = (d: OrgDevice): Record<string, unknown> => {
  const row: Record<string, unknown> = { ...d.attributes, ...d }
  for (const key of ORG_CSV_COLUMNS) row[key] = csvCell(row[key])
  return row
}

async function * ndjson (source: AsyncGenerator<OrgDevice[]>, tail: Record<string, unknown>): AsyncGenerator<string, void, undefined> {
  let count = 0
  for await (const batch of source) {
    count += batch.length
    if (batch.length > 0) yield batch.map((d) => JSON.stringify(d)).join('\n') + '\n'
  }
  yield JSON.stringify({ count, ...tail }) + '\n'
}

async function * csv (source: AsyncGenerator<OrgDevice[]>): AsyncGenerator<string, void, undefined> {
  async function * rows (): AsyncGenerator<Array<Record<string, unknown>>> {
    for await (const batch of source) yield batch.map(csvRow)
  }
  yield * csvBatches(ORG_CSV_COLUMNS, rows())
}

export async function listOrgDevices (fastify: FastifyInstance, request: FastifyRequest, reply: FastifyReply, org: string, query: Query, format: ListFormat): Promise<FastifyReply | z.infer<typeof orgDeviceListSchema>> {
  const state = await readyState(fastify, org)
  const f = filters(query)
  const tail = { refreshed_at: state.last_refresh_at, last_seq: state.last_seq }
  if (format !== 'json') {
    fastify.streamLimits.admit(request, reply)
    const body = format === 'csv' ? csv(batches(fastify, org, f)) : ndjson(batches(fastify, org, f), tail)
    if (format === 'csv') reply.header('content-disposition', `attachment; filename="depgate-org-${org}-devices.csv"`)
    return await reply.type(format === 'csv' ? CSV_CONTENT_TYPE : 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store')
      .send(Readable.from(fastify.streamLimits.watch(reply, body)))
  }
  const hash = filtersHash(org, f)
  const after = query.page_token === undefined ? undefined : decodeToken(query.page_token, hash)
  const page = await fastify.store.orgMirror.listDevices(org, f, { limit: query.limit ?? DEFAULT_PAGE, after })
  const total = await fastify.store.orgMirror.countDevices(org, f)
  const next = page.next === undefined ? null : Buffer.from(`${page.next}\n${hash}`).toString('base64url')
  return { devices: page.devices, count: page.devices.length, total, next_page_token: next, ...tail }
}

/** The latest end date among the coverage records (an open-ended one, ABE, has none). */
export function appleCareEnd (records: readonly AppleCareCoverage[]): string | null {
  const ends = records.map((r) => r.endDateTime).filter((e): e is string => e !== undefined).sort()
  return ends.length === 0 ? null : ends[ends.length - 1]
}

async function serverName (fastify: FastifyInstance, org: string, id: string | null): Promise<string | null> {
  if (id === null) return null
  // A server the mirror has not listed (assigned since its last walk, or before its first) has no name here yet.
  return (await fastify.store.orgMirror.mdmServer(org, id))?.server_name ?? null
}

export async function getOrgDeviceAnswer (fastify: FastifyInstance, org: string, serial: string, source: 'mirror' | 'apple'): Promise<z.infer<typeof orgDeviceAnswerSchema>> {
  const notFound = () => httpProblem(404, 'ORG_DEVICE_NOT_FOUND', `Org "${org}" has no device with serial number ${serial}.`)
  if (source === 'mirror') {
    await readyState(fastify, org)
    const device = await fastify.store.orgMirror.getDevice(org, serial)
    if (device === undefined) throw notFound()
    return { source, device, mdm_server_name: await serverName(fastify, org, device.mdm_server), applecare: null }
  }
  const client = await fastify.orgs.clients.get(org)
  // The device, its MDM server, its AppleCare coverage: three GETs of the org's budget.
  takeLiveGets(fastify, org, 3)
  const device = await live(fastify, org, client.getOrgDevice(serial).catch((err: unknown) => {
    throw err instanceof AxmError && err.code === 'NOT_FOUND' ? notFound() : err
  }))
  const [mdmServer, applecare] = await live(fastify, org, Promise.all([client.getAssignedServerId(serial), client.getAppleCareCoverage(serial)]))
  const end = appleCareEnd(applecare)
  await fastify.store.orgMirror.setAppleCareEnd(org, device.serialNumber, end)
  const mirrored = await fastify.store.orgMirror.getDevice(org, device.serialNumber)
  const at = new Date(fastify.scheduler.now()).toISOString()
  const attrs = device.attributes
  // The same columns the mirror keeps, read from Apple's attributes the same way (absent or blank: null).
  const answer: OrgDevice = {
    serial_number: device.serialNumber,
    ...orgColumns(attrs),
    mdm_server: mdmServer,
    applecare_end: end,
    first_seen_at: mirrored?.first_seen_at ?? at,
    last_changed_at: mirrored?.last_changed_at ?? at,
    removed_at: mirrored?.removed_at ?? null,
    attributes: attrs
  }
  return { source, device: answer, mdm_server_name: await serverName(fastify, org, mdmServer), applecare }
}

export async function listOrgMdmServers (fastify: FastifyInstance, org: string): Promise<z.infer<typeof orgMdmServerListSchema>> {
  const state = await readyState(fastify, org)
  return { mdm_servers: await fastify.store.orgMirror.mdmServers(org), refreshed_at: state.last_refresh_at }
}
