/**
 * The write side of the device mirror. Every write is fenced: it runs in a transaction that first
 * touches the lease row *only if this owner still holds it* (on PostgreSQL that row lock also
 * serialises writers), and a page is applied only if the stored cursor and phase are still the
 * ones its request was sent from. So a replica that lost the lease (paused, partitioned) can never
 * write over its successor, nor apply a page fetched from a cursor that has moved on since. A
 * page's devices, its change-log entries and the cursor that ends it commit together: a crash
 * loses or repeats nothing.
 *
 * Dropping a deleted server's mirror keeps its state row as a tombstone: mirror-drop.ts.
 * Compacting the change log, fenced the same way: feed-compaction.ts.
 */
import type { Kysely, Selectable, Transaction } from 'kysely'
import { diffPage, type DeviceRecord, type PlannedChange } from './mirror-diff.js'
import { chunks, existingRows, fieldsOf, writeChanges } from './mirror-change-log.js'
import type { Database, MirrorStateTable } from './schema.js'
import { dropMirrors } from './mirror-drop.js'
import { leaseOps } from './leases.js'
import { compactFeed, type CompactionResult } from './feed-compaction.js'
import { recordEvent, recordEvents } from '../events/outbox.js'
import { deviceEvent } from '../events/device-events.js'

/** A failed sync run as the status keeps it: the code, sentence and HTTP status an API caller would get for the error. */
export interface SyncFailure { code: string, message: string, status: number }

export type { DeviceRecord } from './mirror-diff.js'
export type { CompactionResult } from './feed-compaction.js'
export type MirrorStateRow = Selectable<MirrorStateTable>
export type SyncPhase = 'fetch' | 'sync'

/** Thrown by a fenced write when another replica holds the lease now. */
export class LeaseLostError extends Error {
  constructor (server: string) {
    super(`the sync lease for "${server}" is held by another replica`)
    this.name = 'LeaseLostError'
  }
}

export interface PageInput {
  phase: SyncPhase
  /** The cursor the page was requested with (null: the start of a fetch): it must still be the stored one. */
  sentCursor: string | null
  devices: readonly DeviceRecord[]
  cursor: string
  moreToFollow: boolean
}

export interface ApplyResult {
  added: number
  modified: number
  removed: number
  lastSeq: number
  /** The page ended a full fetch: unseen devices were marked removed, the phase is now sync. */
  fetchCompleted: boolean
}

export interface MirrorWrites {
  /** The server's state row; for a deleted server, its tombstone (see above) once the mirror was dropped. */
  getState (server: string): Promise<MirrorStateRow | undefined>
  /** The states of the servers in the servers table (never a deleted server's tombstone). */
  listStates (): Promise<MirrorStateRow[]>
  /** Takes or renews the server's lease when it is free, ours or expired. */
  acquireLease (server: string, owner: string, ttlMs: number): Promise<boolean>
  /** Extends the lease only while this owner still holds it (never takes it back). */
  renewLease (server: string, owner: string, ttlMs: number): Promise<boolean>
  /** Gives the lease up (graceful shutdown) so another replica need not wait for it to expire. */
  releaseLease (server: string, owner: string): Promise<void>
  /** Starts a full fetch: a new generation, no cursor. */
  startFullFetch (server: string, owner: string): Promise<void>
  applyPage (server: string, owner: string, page: PageInput): Promise<ApplyResult>
  /** Ends a fetch without a page (Apple answered EXHAUSTED_CURSOR to `sentCursor`): sweep, then sync from the stored cursor. */
  completeFetch (server: string, owner: string, sentCursor: string | null): Promise<ApplyResult>
  recordAttempt (server: string, owner: string): Promise<void>
  recordSuccess (server: string, owner: string): Promise<void>
  recordError (server: string, owner: string, error: SyncFailure): Promise<void>
  /** Asks the leader (whichever replica it is) for a sync; `full` is sticky until a full fetch starts. Returns the request's time. */
  requestSync (server: string, full: boolean): Promise<string>
  /** Clears a request the leader has served, unless a newer one arrived meanwhile. */
  clearRequest (server: string, owner: string, requestedAt: string): Promise<void>
  /**
   * Deletes superseded changes, and removals older than `retentionMs` below every change that
   * stays (raising the feed's floor), in windows of at most `batch` changes (feed-compaction.ts).
   */
  compactFeed (server: string, owner: string, retentionMs: number, batch?: number): Promise<CompactionResult>
  /** Drops a server's mirror (devices, change log), leaving its state row as a tombstone. */
  purge (server: string): Promise<void>
  /** Drops the mirror of every server no longer in the servers table (deleted by any replica or the CLI). */
  purgeOrphans (): Promise<void>
}

/** The last sync error code (null: the last run succeeded), as a list: empty when another replica holds the lease. */
async function lastErrorCodes (trx: Transaction<Database>, server: string, owner: string): Promise<Array<string | null>> {
  const rows = await trx.selectFrom('inventory_state').select('last_error_code').where('server', '=', server).where('lease_owner', '=', owner).execute()
  return rows.map((r) => r.last_error_code)
}

export function createMirrorWrites (db: Kysely<Database>, now: () => Date): MirrorWrites {
  const iso = (offsetMs = 0): string => new Date(now().getTime() + offsetMs).toISOString()
  const lease = leaseOps(db, 'inventory_state', 'server', now)

  async function ensureState (server: string): Promise<void> {
    await db.insertInto('inventory_state')
      .values({ server, phase: 'fetch', generation: 0, last_seq: 0, device_count: 0, requested_full: 0 })
      .onConflict((oc) => oc.column('server').doNothing())
      .execute()
  }

  /** Locks the lease row if this owner holds it and returns the state row, or throws LeaseLostError. */
  async function fence (trx: Transaction<Database>, server: string, owner: string): Promise<MirrorStateRow> {
    const renewed = await trx.updateTable('inventory_state')
      .set({ lease_owner: owner })
      .where('server', '=', server).where('lease_owner', '=', owner)
      .executeTakeFirst()
    if (renewed.numUpdatedRows === 0n) throw new LeaseLostError(server)
    return await trx.selectFrom('inventory_state').selectAll().where('server', '=', server).executeTakeFirstOrThrow()
  }

  async function fenced<T> (server: string, owner: string, fn: (trx: Transaction<Database>, state: MirrorStateRow) => Promise<T>): Promise<T> {
    return await db.transaction().execute(async (trx) => await fn(trx, await fence(trx, server, owner)))
  }

  /** Marks every present device the current fetch did not see as removed (end of a full fetch). */
  async function sweep (trx: Transaction<Database>, server: string, state: MirrorStateRow, at: string): Promise<PlannedChange[]> {
    const unseen = await trx.selectFrom('inventory_devices')
      .select(['serial_number', 'record', 'removed_at', 'op_date'])
      .where('server', '=', server).where('removed_at', 'is', null).where('generation', '<', state.generation)
      .orderBy('serial_number')
      .execute()
    return unseen.map((row) => ({ serial: row.serial_number, op: 'removed', record: row.record, opDate: row.op_date, fields: fieldsOf(row.record) }))
  }

  async function apply (trx: Transaction<Database>, server: string, state: MirrorStateRow, page: PageInput | undefined, sentCursor: string | null): Promise<ApplyResult> {
    // A page from a cursor that is no longer the stored one is stale (another replica moved on).
    if (state.cursor !== sentCursor || (page !== undefined && state.phase !== page.phase)) throw new LeaseLostError(server)
    const at = iso()
    let changes: PlannedChange[] = []
    if (page !== undefined && page.devices.length > 0) {
      const serials = [...new Set(page.devices.map((d) => d.serial_number))]
      const plan = diffPage(page.phase, page.devices, await existingRows(trx, server, serials))
      changes = plan.changes
      // Devices a fetch saw unchanged still belong to this generation (the sweep must spare them).
      if (page.phase === 'fetch') {
        for (const batch of chunks(plan.unchanged)) {
          await trx.updateTable('inventory_devices').set({ generation: state.generation })
            .where('server', '=', server).where('serial_number', 'in', batch).execute()
        }
      }
    }
    const fetchCompleted = state.phase === 'fetch' && (page === undefined || (page.phase === 'fetch' && !page.moreToFollow))
    if (fetchCompleted) {
      const seen = new Set(changes.map((c) => c.serial))
      changes.push(...(await sweep(trx, server, state, at)).filter((c) => !seen.has(c.serial)))
    }
    await writeChanges(trx, server, changes, state.last_seq + 1, state.generation, at)
    // Webhooks: one device.* event per change, committed with it (src/events/outbox.ts).
    await recordEvents(trx, changes.map((c, i) => deviceEvent(server, c, state.last_seq + 1 + i)), { at: now() })
    const count = (op: PlannedChange['op']): number => changes.filter((c) => c.op === op).length
    const result: ApplyResult = { added: count('added'), modified: count('modified'), removed: count('removed'), lastSeq: state.last_seq + changes.length, fetchCompleted }
    await trx.updateTable('inventory_state').set({
      ...(page === undefined ? {} : { cursor: page.cursor, cursor_at: at }),
      last_seq: result.lastSeq,
      device_count: state.device_count + result.added - result.removed,
      ...(fetchCompleted ? { phase: 'sync', last_fetch_at: at, ready_at: state.ready_at ?? at } : {})
    }).where('server', '=', server).execute()
    return result
  }

  return {
    async getState (server) {
      return await db.selectFrom('inventory_state').selectAll().where('server', '=', server).executeTakeFirst()
    },
    async listStates () {
      return await db.selectFrom('inventory_state').selectAll()
        .where('server', 'in', db.selectFrom('servers').select('name'))
        .orderBy('server').execute()
    },
    async acquireLease (server, owner, ttlMs) {
      await ensureState(server)
      return await lease.acquire(server, owner, ttlMs)
    },
    renewLease: lease.renew,
    releaseLease: lease.release,
    async startFullFetch (server, owner) {
      await fenced(server, owner, async (trx, state) => {
        await trx.updateTable('inventory_state')
          // A full fetch starting serves any request for one: a plain request arriving during it must not make the next run full again.
          .set({ phase: 'fetch', cursor: null, cursor_at: null, generation: state.generation + 1, fetch_started_at: iso(), requested_full: 0 })
          .where('server', '=', server).execute()
      })
    },
    async applyPage (server, owner, page) {
      return await fenced(server, owner, async (trx, state) => await apply(trx, server, state, page, page.sentCursor))
    },
    async completeFetch (server, owner, sentCursor) {
      return await fenced(server, owner, async (trx, state) => await apply(trx, server, state, undefined, sentCursor))
    },
    async recordAttempt (server, owner) {
      await db.updateTable('inventory_state').set({ last_attempt_at: iso() })
        .where('server', '=', server).where('lease_owner', '=', owner).execute()
    },
    async recordSuccess (server, owner) {
      await db.transaction().execute(async (trx) => {
        const [failing] = (await lastErrorCodes(trx, server, owner)).filter((c) => c !== null)
        await trx.updateTable('inventory_state').set({ last_success_at: iso(), last_error_code: null, last_error_message: null, last_error_status: null, last_error_at: null })
          .where('server', '=', server).where('lease_owner', '=', owner).execute()
        // Webhooks: the first success after a failure, committed with it.
        if (failing !== undefined) await recordEvent(trx, { type: 'sync.recovered', server, data: { server, failed_with: failing } }, { at: now() })
      })
    },
    async recordError (server, owner, error) {
      await db.transaction().execute(async (trx) => {
        const succeeding = (await lastErrorCodes(trx, server, owner)).includes(null)
        await trx.updateTable('inventory_state').set({ last_error_code: error.code, last_error_message: error.message, last_error_status: error.status, last_error_at: iso() })
          .where('server', '=', server).where('lease_owner', '=', owner).execute()
        // Webhooks: the first failure of a run of them (not one per retry), committed with it.
        if (succeeding) await recordEvent(trx, { type: 'sync.failed', server, data: { server, code: error.code, message: error.message, status: error.status } }, { at: now() })
      })
    },
    async requestSync (server, full) {
      await ensureState(server)
      const at = iso()
      await db.updateTable('inventory_state')
        .set((eb) => ({ requested_at: at, requested_full: full ? 1 : eb.ref('requested_full') }))
        .where('server', '=', server).execute()
      return at
    },
    async clearRequest (server, owner, requestedAt) {
      await db.updateTable('inventory_state').set({ requested_at: null, requested_full: 0 })
        .where('server', '=', server).where('lease_owner', '=', owner).where('requested_at', '=', requestedAt).execute()
    },
    async compactFeed (server, owner, retentionMs, batch) {
      return await compactFeed(async (fn) => await fenced(server, owner, fn), server, { removedBefore: iso(-retentionMs), batch })
    },
    async purge (server) {
      await db.transaction().execute(async (trx) => { await dropMirrors(trx, [server]) })
    },
    async purgeOrphans () {
      // Against the servers table itself, in one transaction: no window in which a server another
      // replica just added could look deleted.
      await db.transaction().execute(async (trx) => { await dropMirrors(trx, trx.selectFrom('servers').select('name')) })
    }
  }
}
