/**
 * The org mirror as a DEP server's device view reads it (docs/apple-axm.md §4: AxM beside DEP):
 * one device with the name of its MDM server and the mirror's last refresh, in one query, and the
 * MDM servers' names a DEP server is matched against when it is linked to its org. Never the
 * per-server device counts of org-reads.ts: these run on every device lookup.
 */
import type { CompiledQuery, Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Stand-ins for the values of the compiled join, told apart when its parameters are filled in. */
const ORG = '\u0000org'
const SERIAL = '\u0000serial'

interface JoinRow {
  last_refresh_at: string | null
  status: string | null
  mdm_server: string | null
  server_name: string | null
  order_number: string | null
  purchase_source: string | null
  applecare_end: string | null
  record: string | null
}

export interface OrgMdmServerName { id: string, server_name: string | null }

/** A device of the org mirror, as the joined view shows it. */
export interface OrgJoinedDevice {
  status: string | null
  mdm_server: string | null
  mdm_server_name: string | null
  order_number: string | null
  purchase_source: string | null
  applecare_end: string | null
  /** Apple's attributes. */
  attributes: Record<string, unknown>
}

export interface OrgJoin {
  /** When the org mirror last completed a refresh; null before its first. */
  refreshedAt: string | null
  /** The device, when the mirror holds it and it has not left the org. */
  device?: OrgJoinedDevice
}

export interface OrgJoinReads {
  /** The org's MDM servers (id and name) as the last completed refresh saw them. */
  mdmServerNames (org: string): Promise<OrgMdmServerName[]>
  /** The serial in the org mirror; undefined when the org has no mirror state yet. */
  joinDevice (org: string, serial: string): Promise<OrgJoin | undefined>
}

export function createOrgJoinReads (db: Kysely<Database>): OrgJoinReads {
  // Compiled once, as the DEP mirror's lookup (mirror-reads.ts): Kysely's builder costs more than the query.
  const join: CompiledQuery = db.selectFrom('org_state as s')
    .leftJoin('org_devices as d', (j) => j.onRef('d.org', '=', 's.org').on('d.serial_number', '=', SERIAL).on('d.removed_at', 'is', null))
    .leftJoin('org_mdm_servers as m', (j) => j.onRef('m.org', '=', 's.org').onRef('m.id', '=', 'd.mdm_server'))
    .select(['s.last_refresh_at', 'd.status', 'd.mdm_server', 'm.server_name', 'd.order_number', 'd.purchase_source', 'd.applecare_end', 'd.record'])
    .where('s.org', '=', ORG)
    .compile()
  const orgAt = join.parameters.map((p) => p === ORG)
  return {
    async mdmServerNames (org) {
      return await db.selectFrom('org_mdm_servers').select(['id', 'server_name']).where('org', '=', org).orderBy('id').execute()
    },
    async joinDevice (org, serial) {
      const { rows: [row] } = await db.executeQuery<JoinRow>({ ...join, parameters: orgAt.map((isOrg) => isOrg ? org : serial) })
      if (row === undefined) return undefined
      const out: OrgJoin = { refreshedAt: row.last_refresh_at }
      // A device row always has its record: none, no device joined.
      if (row.record === null) return out
      out.device = {
        status: row.status,
        mdm_server: row.mdm_server,
        mdm_server_name: row.server_name,
        order_number: row.order_number,
        purchase_source: row.purchase_source,
        applecare_end: row.applecare_end,
        attributes: JSON.parse(row.record) as Record<string, unknown>
      }
      return out
    }
  }
}
