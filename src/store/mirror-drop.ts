/**
 * Dropping a deleted server's mirror keeps its state row as a tombstone, so that a name never
 * reuses a sequence number: a consumer may still hold a `since` of the old feed, and had the new
 * mirror's feed started again at 1, that `since` would be answered (once the new feed passed it)
 * with only the changes after it, silently missing the new mirror's first devices. Instead the
 * tombstone keeps the old head N and moves last_seq, feed_floor and drop_floor to N + 1, a number
 * no change carries; the new mirror's feed (a server added again finds the row: it is exactly a
 * new server's state otherwise) goes on from N + 2. The change-feed route refuses a `since` in
 * 1 … feed_floor - 1 (below drop_floor: 409 SINCE_AHEAD, start again from 0), and it reads the
 * floor again after the changes it answers with: a floor that rose meanwhile past `since` means
 * a drop (or a compaction, feed-compaction.ts) happened while the read ran (a long poll), and the
 * read is refused too. since=0 is the whole current mirror; since=feed_floor (the head of a new
 * mirror still empty) is a valid place to follow it from. Refusing, rather than answering with the
 * new mirror's adds, also covers what the purge threw away: the old mirror's later changes and the
 * removal of its devices the new one no longer has.
 */
import type { SelectQueryBuilder, Transaction } from 'kysely'
import type { Database } from './schema.js'

/**
 * Drops the mirror of `servers` (a list, or the servers table: everything not in it), keeping each
 * state row as a tombstone. Run again on a tombstone it changes nothing.
 */
export async function dropMirrors (trx: Transaction<Database>, servers: string[] | SelectQueryBuilder<Database, 'servers', { name: string }>): Promise<void> {
  const op = Array.isArray(servers) ? 'in' : 'not in'
  // A feed with changes since its floor skips a number: N + 1 tells the old feed's head N from a new empty mirror's.
  // The right-hand sides read the row as it was (SQL evaluates SET against the old row). A floor
  // compaction raised to the head itself removed every device: a consumer there holds nothing to lose.
  await trx.updateTable('inventory_state')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), feed_floor: eb('last_seq', '+', 1), drop_floor: eb('last_seq', '+', 1) }))
    .where('server', op, servers).whereRef('last_seq', '>', 'feed_floor')
    .execute()
  await trx.updateTable('inventory_state').set({
    phase: 'fetch',
    cursor: null,
    cursor_at: null,
    generation: 0,
    fetch_started_at: null,
    ready_at: null,
    last_fetch_at: null,
    last_success_at: null,
    last_attempt_at: null,
    last_error_code: null,
    last_error_message: null,
    last_error_status: null,
    last_error_at: null,
    device_count: 0,
    requested_at: null,
    requested_full: 0,
    // A replica still syncing the server loses its lease: its next fenced write fails.
    lease_owner: null,
    lease_expires_at: null
  }).where('server', op, servers).execute()
  for (const table of ['inventory_changes', 'inventory_devices'] as const) {
    await trx.deleteFrom(table).where('server', op, servers).execute()
  }
}
