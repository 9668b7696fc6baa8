/**
 * Writing changes to the device mirror: the device rows and their change-log entries, numbered
 * from `firstSeq`, in the caller's transaction. Shared by the syncer's fenced page writes
 * (mirror-writes.ts) and depgate's own writes reflected at once (mirror-own-writes.ts), so both
 * fill the same columns and feed the same change log.
 */
import type { Transaction } from 'kysely'
import { filterFields, type ExistingDevice, type PlannedChange } from './mirror-diff.js'
import type { Database, MirrorDevicesTable } from './schema.js'

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 400

export const chunks = <T>(items: readonly T[], size = BATCH): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The filter and sort columns of a stored record. */
export function fieldsOf (record: string): PlannedChange['fields'] {
  return filterFields(JSON.parse(record) as Record<string, unknown>)
}

/** The stored rows (present or removed) of `serials` on `server`. */
export async function existingRows (trx: Transaction<Database>, server: string, serials: readonly string[]): Promise<Map<string, ExistingDevice>> {
  const found = new Map<string, ExistingDevice>()
  for (const batch of chunks(serials)) {
    const rows = await trx.selectFrom('inventory_devices')
      .select(['serial_number', 'record', 'removed_at', 'op_date'])
      .where('server', '=', server).where('serial_number', 'in', batch)
      .execute()
    for (const row of rows) found.set(row.serial_number, row)
  }
  return found
}

/** Upserts the changed devices and appends one change-log entry each, seq firstSeq, firstSeq + 1, … */
export async function writeChanges (trx: Transaction<Database>, server: string, changes: readonly PlannedChange[], firstSeq: number, generation: number, at: string): Promise<void> {
  const rows: MirrorDevicesTable[] = changes.map((c, i) => ({
    server,
    serial_number: c.serial,
    ...c.fields,
    record: c.record,
    first_seen_at: at,
    last_changed_at: at,
    removed_at: c.op === 'removed' ? at : null,
    op_date: c.opDate,
    generation,
    seq: firstSeq + i
  }))
  for (const batch of chunks(rows)) {
    await trx.insertInto('inventory_devices').values(batch)
      .onConflict((oc) => oc.columns(['server', 'serial_number']).doUpdateSet((eb) => ({
        model: eb.ref('excluded.model'),
        os: eb.ref('excluded.os'),
        device_family: eb.ref('excluded.device_family'),
        profile_status: eb.ref('excluded.profile_status'),
        profile_uuid: eb.ref('excluded.profile_uuid'),
        device_assigned_date: eb.ref('excluded.device_assigned_date'),
        asset_tag: eb.ref('excluded.asset_tag'),
        color: eb.ref('excluded.color'),
        description: eb.ref('excluded.description'),
        device_assigned_by: eb.ref('excluded.device_assigned_by'),
        record: eb.ref('excluded.record'),
        last_changed_at: eb.ref('excluded.last_changed_at'),
        removed_at: eb.ref('excluded.removed_at'),
        op_date: eb.ref('excluded.op_date'),
        generation: eb.ref('excluded.generation'),
        seq: eb.ref('excluded.seq')
      })))
      .execute()
  }
  const log = changes.map((c, i) => ({ server, seq: firstSeq + i, serial_number: c.serial, op: c.op, at, record: c.record }))
  for (const batch of chunks(log)) await trx.insertInto('inventory_changes').values(batch).execute()
}
