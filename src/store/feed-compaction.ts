/**
 * Compaction of the change feed (inventory_changes), so that the log stays about as large as the
 * fleet instead of growing with every change Apple reports, while `since=0` still reads every
 * current device:
 *
 * 1. A change is superseded once the same device has a later one. A reader going forward from any
 *    `since` still meets the later change, so it only skips intermediate states. Each device's
 *    newest change is inventory_devices.seq (written with it), so a change is superseded when its
 *    seq is below that one: a primary-key lookup, no extra index.
 * 2. A device's newest change that is a removal may go once older than the retention. A reader
 *    whose `since` is below it would never learn the device left, so the feed's floor rises to its
 *    seq: the route refuses a `since` in 1 … feed_floor - 1 (409 SINCE_EXPIRED).
 *
 * Why 2 only deletes removals *below every change that stays* (the oldest kept change pins it):
 * `since=0` pages through what is kept, oldest first, and each page's `next_since` is the seq of
 * its last change. Had the floor risen above a kept change, that `next_since` would be refused,
 * and from the number alone the route cannot tell such a reader (who never saw the removed
 * device) from an old one that saw it and misses its removal. With every kept change above the
 * floor, any `next_since` of a `since=0` read is at or above it. A device that never changes thus
 * keeps the removals after it: the log is then bounded by the devices ever seen (the size of
 * inventory_devices, which keeps removed devices too), and by the fleet when devices change.
 *
 * Every step is a short fenced transaction over at most `batch` changes (the log's own
 * (server, seq) key finds the window), so a sync never waits long for it, on SQLite whose
 * writers take turns as on PostgreSQL; only the lease holder compacts (after its sync run).
 */
import type { Selectable, Transaction } from 'kysely'
import type { Database, MirrorStateTable } from './schema.js'

/** Changes per window: at most this many rows are deleted by one statement. */
export const COMPACTION_BATCH = 10_000

export interface CompactionResult {
  /** Changes deleted because the same device changed later. */
  superseded: number
  /** Removals deleted because they were older than the retention. */
  expired: number
  /** The feed's floor afterwards. */
  feedFloor: number
}

/** Runs `fn` in a transaction fenced by the lease (mirror-writes.ts), with the state row read in it. */
export type Fenced = <T>(fn: (trx: Transaction<Database>, state: Selectable<MirrorStateTable>) => Promise<T>) => Promise<T>

export interface CompactionOptions {
  /** Removals at or after this ISO time are kept. */
  removedBefore: string
  batch?: number
}

/** The seq that ends the window of `batch` changes after `after`, or undefined when fewer remain. */
async function windowEnd (trx: Transaction<Database>, server: string, after: number, batch: number, below?: number): Promise<number | undefined> {
  let query = trx.selectFrom('inventory_changes').select('seq').where('server', '=', server).where('seq', '>', after)
  if (below !== undefined) query = query.where('seq', '<', below)
  const row = await query.orderBy('seq').limit(1).offset(batch - 1).executeTakeFirst()
  return row === undefined ? undefined : Number(row.seq)
}

export async function compactFeed (fenced: Fenced, server: string, opts: CompactionOptions): Promise<CompactionResult> {
  const batch = opts.batch ?? COMPACTION_BATCH
  const result: CompactionResult = { superseded: 0, expired: 0, feedFloor: 0 }

  // 1. Superseded changes, window by window from the start of the log.
  let window: { end?: number } = { end: 0 }
  while (window.end !== undefined) {
    const after = window.end
    window = await fenced(async (trx) => {
      const end = await windowEnd(trx, server, after, batch)
      let query = trx.deleteFrom('inventory_changes').where('server', '=', server).where('seq', '>', after)
      if (end !== undefined) query = query.where('seq', '<=', end)
      const deleted = await query
        .where('seq', '<', (eb) => eb.selectFrom('inventory_devices as d').select('d.seq')
          .whereRef('d.server', '=', 'inventory_changes.server').whereRef('d.serial_number', '=', 'inventory_changes.serial_number'))
        .executeTakeFirst()
      result.superseded += Number(deleted.numDeletedRows)
      return { end }
    })
  }

  // 2. Expired removals below the oldest change that stays (see above), a window at a time.
  let more = true
  while (more) {
    more = await fenced(async (trx, state) => {
      const pin = await trx.selectFrom('inventory_changes').select((eb) => eb.fn.min('seq').as('seq'))
        .where('server', '=', server)
        .where((eb) => eb.or([eb('op', '!=', 'removed'), eb('at', '>=', opts.removedBefore)]))
        .executeTakeFirstOrThrow()
      const below = pin.seq === null ? undefined : Number(pin.seq)
      const end = await windowEnd(trx, server, 0, batch, below)
      let expired = trx.selectFrom('inventory_changes').where('server', '=', server)
        .where('op', '=', 'removed').where('at', '<', opts.removedBefore)
      if (below !== undefined) expired = expired.where('seq', '<', below)
      if (end !== undefined) expired = expired.where('seq', '<=', end)
      const top = await expired.select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow()
      result.feedFloor = Math.max(result.feedFloor, Number(state.feed_floor))
      if (top.seq === null) return false
      const floor = Number(top.seq)
      const deleted = await trx.deleteFrom('inventory_changes').where('server', '=', server)
        .where('seq', 'in', expired.select('seq')).executeTakeFirst()
      result.expired += Number(deleted.numDeletedRows)
      // In the deletion's transaction: no reader sees the removal gone and the floor not yet raised.
      await trx.updateTable('inventory_state').set({ feed_floor: floor }).where('server', '=', server).where('feed_floor', '<', floor).execute()
      result.feedFloor = Math.max(result.feedFloor, floor)
      return end !== undefined
    })
  }
  return result
}
