/**
 * depgate's own writes to Apple, reflected in the mirror at once (read your writes): after Apple
 * answers SUCCESS for a profile assignment, removal or a disown, the devices show the new state
 * before the next sync, with a change-feed entry like any change. The record keeps the op_date of
 * the last change Apple sent, so the next sync page about the device is never older than it and
 * wins whatever it says: Apple stays the truth.
 *
 * Not fenced by the sync lease: any replica may reflect its own write. The transaction begins by
 * touching the server's state row, which serialises it with the leader's page writes (a row lock
 * on PostgreSQL, the write lock on SQLite), so sequence numbers never collide.
 */
import type { Kysely } from 'kysely'
import { canonicalJson, filterFields, type PlannedChange } from './mirror-diff.js'
import { existingRows, fieldsOf, writeChanges } from './mirror-change-log.js'
import type { Database } from './schema.js'

/** One device's new state after an own write: fields to set (null removes the field), or removed from the server. */
export type OwnWrite =
  | { serial: string, set: Readonly<Record<string, string | null>> }
  | { serial: string, removed: true }

export interface MirrorOwnWrites {
  /**
   * Applies own writes to the devices the mirror holds (present ones; others are left to the next
   * sync) and returns how many changed and the feed's last sequence number.
   */
  applyOwnWrites (server: string, writes: readonly OwnWrite[]): Promise<{ changed: number, lastSeq: number }>
}

export function createMirrorOwnWrites (db: Kysely<Database>, now: () => Date): MirrorOwnWrites {
  return {
    async applyOwnWrites (server, writes) {
      return await db.transaction().execute(async (trx) => {
        const touched = await trx.updateTable('inventory_state').set((eb) => ({ last_seq: eb.ref('last_seq') }))
          .where('server', '=', server).executeTakeFirst()
        // A server whose mirror has not started has nothing to show yet.
        if (touched.numUpdatedRows === 0n) return { changed: 0, lastSeq: 0 }
        const state = await trx.selectFrom('inventory_state').select(['last_seq', 'generation', 'device_count']).where('server', '=', server).executeTakeFirstOrThrow()
        const rows = await existingRows(trx, server, writes.map((w) => w.serial))
        const changes: PlannedChange[] = []
        for (const write of writes) {
          const row = rows.get(write.serial)
          if (row === undefined || row.removed_at !== null) continue
          if ('removed' in write) {
            changes.push({ serial: write.serial, op: 'removed', record: row.record, opDate: row.op_date, fields: fieldsOf(row.record) })
            continue
          }
          const device = { ...JSON.parse(row.record) as Record<string, unknown> }
          for (const [field, value] of Object.entries(write.set)) {
            if (value === null) Reflect.deleteProperty(device, field)
            else device[field] = value
          }
          const record = canonicalJson(device)
          if (record !== row.record) changes.push({ serial: write.serial, op: 'modified', record, opDate: row.op_date, fields: filterFields(device) })
        }
        const lastSeq = state.last_seq + changes.length
        if (changes.length > 0) {
          await writeChanges(trx, server, changes, state.last_seq + 1, state.generation, now().toISOString())
          const removed = changes.filter((c) => c.op === 'removed').length
          await trx.updateTable('inventory_state').set({ last_seq: lastSeq, device_count: state.device_count - removed }).where('server', '=', server).execute()
        }
        return { changed: changes.length, lastSeq }
      })
    }
  }
}
