/**
 * Reading the org mirror: devices by filter in serial order (paged by the last serial, so a
 * refresh meanwhile neither repeats nor skips a device of a page walk), one device, the MDM
 * servers with their device counts, and the change feed.
 */
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely'
import type { Database, OrgDevicesTable } from './schema.js'

/** Each filter matches any of its values, case-insensitively; filters combine with AND. */
export interface OrgDeviceFilters {
  status?: string[]
  mdm_server?: string[]
  product_family?: string[]
  order_number?: string[]
  purchase_source?: string[]
  serial_prefix?: string[]
}

export const ORG_FILTER_COLUMNS = ['status', 'mdm_server', 'product_family', 'order_number', 'purchase_source'] as const

export interface OrgDevice {
  serial_number: string
  status: string | null
  mdm_server: string | null
  product_family: string | null
  order_number: string | null
  purchase_source: string | null
  applecare_end: string | null
  first_seen_at: string
  last_changed_at: string
  removed_at: string | null
  /** Apple's attributes. */
  attributes: Record<string, unknown>
}

export interface OrgMdmServer {
  id: string
  server_name: string | null
  server_type: string | null
  device_count: number
  attributes: Record<string, unknown>
  updated_at: string
}

export interface OrgChange { seq: number, serial_number: string, op: string, at: string, record: Record<string, unknown> }

export interface OrgMirrorReads {
  listDevices (org: string, filters: OrgDeviceFilters, page: { limit: number, after?: string | undefined }): Promise<{ devices: OrgDevice[], next?: string }>
  countDevices (org: string, filters: OrgDeviceFilters): Promise<number>
  getDevice (org: string, serial: string): Promise<OrgDevice | undefined>
  mdmServers (org: string): Promise<OrgMdmServer[]>
  /** One MDM server the mirror lists, without counting its devices: undefined when it lists none of that id. */
  mdmServer (org: string, id: string): Promise<{ id: string, server_name: string | null } | undefined>
  changes (org: string, since: number, limit: number): Promise<OrgChange[]>
}

type Row = Pick<OrgDevicesTable, 'serial_number' | 'status' | 'mdm_server' | 'product_family' | 'order_number' | 'purchase_source' | 'applecare_end' | 'first_seen_at' | 'last_changed_at' | 'removed_at' | 'record'>

const COLUMNS = ['serial_number', 'status', 'mdm_server', 'product_family', 'order_number', 'purchase_source', 'applecare_end', 'first_seen_at', 'last_changed_at', 'removed_at', 'record'] as const

function device (row: Row): OrgDevice {
  const { record, ...rest } = row
  return { ...rest, attributes: JSON.parse(record) as Record<string, unknown> }
}

/** `serials` of `org` (present or removed) as the device route shows them, read in `db` (a refresh's transaction: its own writes). */
export async function readOrgDevices (db: Kysely<Database> | Transaction<Database>, org: string, serials: readonly string[]): Promise<Map<string, OrgDevice>> {
  const out = new Map<string, OrgDevice>()
  for (let i = 0; i < serials.length; i += READ_BATCH) {
    const rows = await db.selectFrom('org_devices').select(COLUMNS).where('org', '=', org).where('serial_number', 'in', serials.slice(i, i + READ_BATCH)).execute()
    for (const row of rows) out.set(row.serial_number, device(row))
  }
  return out
}

/** Serials per IN list: well under both databases' bound-parameter limits. */
const READ_BATCH = 500

function where (org: string, filters: OrgDeviceFilters) {
  return (eb: ExpressionBuilder<Database, 'org_devices'>) => {
    const all = [eb('org', '=', org), eb('removed_at', 'is', null)]
    for (const column of ORG_FILTER_COLUMNS) {
      const values = filters[column]
      if (values !== undefined && values.length > 0) all.push(eb(eb.fn('lower', [column]), 'in', values.map((v) => v.toLowerCase())))
    }
    const prefixes = filters.serial_prefix
    if (prefixes !== undefined && prefixes.length > 0) {
      // substr, not LIKE: LIKE is case-insensitive on SQLite only, and a prefix needs no escaping this way.
      all.push(eb.or(prefixes.map((p) => eb(sql<string>`substr(upper(serial_number), 1, ${p.length})`, '=', p.toUpperCase()))))
    }
    return eb.and(all)
  }
}

export function createOrgMirrorReads (db: Kysely<Database>): OrgMirrorReads {
  return {
    async listDevices (org, filters, { limit, after }) {
      let q = db.selectFrom('org_devices').select(COLUMNS).where(where(org, filters))
      if (after !== undefined) q = q.where('serial_number', '>', after)
      const rows = await q.orderBy('serial_number').limit(limit + 1).execute()
      const devices = rows.slice(0, limit).map(device)
      return rows.length > limit ? { devices, next: devices[devices.length - 1].serial_number } : { devices }
    },
    async countDevices (org, filters) {
      const { n } = await db.selectFrom('org_devices').select((eb) => eb.fn.countAll<number | string>().as('n')).where(where(org, filters)).executeTakeFirstOrThrow()
      return Number(n)
    },
    async getDevice (org, serial) {
      const row = await db.selectFrom('org_devices').select(COLUMNS).where('org', '=', org).where('serial_number', '=', serial).executeTakeFirst()
      return row === undefined ? undefined : device(row)
    },
    async mdmServer (org, id) {
      return await db.selectFrom('org_mdm_servers').select(['id', 'server_name']).where('org', '=', org).where('id', '=', id).executeTakeFirst()
    },
    async mdmServers (org) {
      const counts = await db.selectFrom('org_devices').select(['mdm_server', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('org', '=', org).where('removed_at', 'is', null).where('mdm_server', 'is not', null).groupBy('mdm_server').execute()
      const byServer = new Map(counts.map((c) => [c.mdm_server, Number(c.n)]))
      const rows = await db.selectFrom('org_mdm_servers').selectAll().where('org', '=', org).orderBy('id').execute()
      return rows.map((r) => ({
        id: r.id,
        server_name: r.server_name,
        server_type: r.server_type,
        device_count: byServer.get(r.id) ?? 0,
        attributes: JSON.parse(r.record) as Record<string, unknown>,
        updated_at: r.updated_at
      }))
    },
    async changes (org, since, limit) {
      const rows = await db.selectFrom('org_changes').selectAll().where('org', '=', org).where('seq', '>', since).orderBy('seq').limit(limit).execute()
      return rows.map((r) => ({ seq: r.seq, serial_number: r.serial_number, op: r.op, at: r.at, record: JSON.parse(r.record) as Record<string, unknown> }))
    }
  }
}
