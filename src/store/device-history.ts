/**
 * One device's entries in the mirror's change feed, newest first (the dashboard's device page).
 * Served by the feed's index on (server, serial_number, seq) from migration 0014, so a device's
 * history costs the same in a feed of a hundred changes or of millions.
 */
import type { Kysely } from 'kysely'
import type { MirrorChange } from './mirror-reads.js'
import type { Database } from './schema.js'

export type DeviceHistory = (server: string, serial: string, limit: number) => Promise<MirrorChange[]>

export function createDeviceHistory (db: Kysely<Database>): DeviceHistory {
  return async (server, serial, limit) => {
    const rows = await db.selectFrom('inventory_changes').select(['seq', 'op', 'serial_number', 'at', 'record'])
      .where('server', '=', server).where('serial_number', '=', serial)
      .orderBy('seq', 'desc').limit(limit).execute()
    return rows.map((r) => ({ ...r, seq: Number(r.seq), op: r.op as MirrorChange['op'] }))
  }
}
