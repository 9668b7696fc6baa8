/**
 * The assignment engine's outbox (0012): one row per device the rules queued for a profile, with
 * its state and retry schedule, and per server the change-feed sequence number the engine has
 * matched devices up to. Queueing reads the feed from that cursor and writes the rows and the new
 * cursor in one transaction, so a crash between two steps neither loses a change nor matches one
 * twice. Every engine write is fenced by the server's sync lease (the mirror's, mirror-writes.ts):
 * a replica that lost it writes nothing.
 */
import type { Kysely, Transaction } from 'kysely'
import { LeaseLostError } from './mirror-writes.js'
import { chunks } from './mirror-change-log.js'
import type { AssignmentsTable, Database } from './schema.js'
import { recordEvents } from '../events/outbox.js'
import { assignmentEvent } from '../events/assignment-events.js'

export const ASSIGNMENT_STATUSES = ['pending', 'succeeded', 'failed', 'throttled', 'gave_up', 'not_accessible'] as const
export type AssignmentStatus = typeof ASSIGNMENT_STATUSES[number]
/** The statuses still waiting for a send (the queue). */
export const OUTSTANDING: readonly AssignmentStatus[] = ['pending', 'failed', 'throttled']

export type AssignmentRow = AssignmentsTable

/** One change of the mirror's feed, as the engine matches it. */
export interface FeedChange {
  seq: number
  serial: string
  op: 'added' | 'modified' | 'removed'
  /** The device after the change (JSON). */
  record: string
}

/** What the rules want for a changed device: a profile, or nothing (an outstanding row is dropped). */
export interface Wanted {
  serial: string
  want: { rule: string, profile: string, profileUuid: string } | null
}

/** A row's state after Apple answered for it (engine-schedule.ts computes it). */
export type Outcome = Pick<AssignmentRow, 'status' | 'attempts' | 'streak' | 'last_result' | 'last_error' | 'next_attempt_at' | 'first_failed_at'> & {
  serial: string
  /** The UUID sent: a row re-queued for another profile meanwhile is left as it is. */
  profileUuid: string
}

/** A followed serial's row once settled: its status and last error, or null for both when it left the outbox. */
export interface Settled {
  serial: string
  status: string | null
  last_error: string | null
}

export interface AssignmentQuery {
  status?: AssignmentStatus
  serial?: string
  /** Rows after this serial (paging). */
  after?: string
  limit: number
}

export interface QueueStats {
  server: string
  /** Outstanding rows (pending, failed, throttled). */
  depth: number
  /** created_at of the oldest pending row. */
  oldestPendingAt: string | null
}

export interface AssignmentRepository {
  /**
   * Reads at most `limit` feed changes after the server's cursor, asks `plan` what each device
   * needs, writes the rows and moves the cursor past the changes read: one fenced transaction.
   */
  queueFromFeed (server: string, owner: string, limit: number, plan: (changes: FeedChange[]) => Wanted[]): Promise<{ read: number, queued: number }>
  /** Moves the cursor to the feed's head without matching (no rules: the engine only keeps up). Fenced. */
  skipFeed (server: string, owner: string): Promise<void>
  /** Queues devices the rules want assigned (a backfill): any replica may; the leader's engine sends. */
  queueDevices (server: string, wanted: readonly Wanted[]): Promise<number>
  /** The rows of these serials. */
  rowsFor (server: string, serials: readonly string[]): Promise<AssignmentRow[]>
  /**
   * A backfill job's serials still at `placeholder` in its results whose outbox row has an outcome
   * (not outstanding) or is gone (`status` null): one statement, however many the job follows.
   */
  settledFor (server: string, jobId: string, placeholder: string): Promise<Settled[]>
  /** Outstanding rows due now (store clock), by profile UUID then serial. */
  due (server: string, limit: number): Promise<AssignmentRow[]>
  /** When the next outstanding row falls due, or null. */
  nextDueAt (server: string): Promise<string | null>
  /** Writes Apple's answers for sent rows (fenced). */
  recordOutcomes (server: string, owner: string, outcomes: readonly Outcome[]): Promise<void>
  /** A whole call failed: the rows wait until `until`, their attempts untouched (fenced). */
  postpone (server: string, owner: string, serials: readonly string[], until: string, error: string): Promise<void>
  list (server: string, q: AssignmentQuery): Promise<AssignmentRow[]>
  /** failed, throttled and gave_up rows due now; gave_up ones start their schedule again. Returns how many. */
  retry (server: string): Promise<number>
  stats (): Promise<QueueStats[]>
}

/**
 * Writes what the rules want for each device: a new or changed profile queues it (due now); a
 * device already queued for the same profile keeps its schedule (a repeated change must not reset
 * a backoff); a device that needs nothing leaves the queue if it was waiting in it. Returns how
 * many were queued. The conditions are the statements' own (no read of the rows first): a delete
 * of outstanding rows only, and an upsert whose update skips a row outstanding for the same UUID.
 */
async function writeWanted (trx: Transaction<Database>, server: string, wanted: readonly Wanted[], at: string): Promise<number> {
  const drop = wanted.flatMap(({ serial, want }) => want === null ? [serial] : [])
  for (const batch of chunks(drop)) {
    await trx.deleteFrom('assignments').where('server', '=', server).where('serial_number', 'in', batch).where('status', 'in', [...OUTSTANDING]).execute()
  }
  const upserts: AssignmentRow[] = wanted.flatMap(({ serial, want }) => want === null
    ? []
    : [{ server, serial_number: serial, status: 'pending', rule: want.rule, profile: want.profile, profile_uuid: want.profileUuid, attempts: 0, streak: 0, last_result: null, last_error: null, next_attempt_at: at, first_failed_at: null, created_at: at, updated_at: at }])
  let queued = 0
  for (const batch of chunks(upserts, 200)) {
    const written = await trx.insertInto('assignments').values(batch).onConflict((oc) => oc.columns(['server', 'serial_number']).doUpdateSet((eb) => ({
      status: eb.ref('excluded.status'),
      rule: eb.ref('excluded.rule'),
      profile: eb.ref('excluded.profile'),
      profile_uuid: eb.ref('excluded.profile_uuid'),
      attempts: eb.ref('excluded.attempts'),
      streak: eb.ref('excluded.streak'),
      last_result: eb.ref('excluded.last_result'),
      last_error: eb.ref('excluded.last_error'),
      next_attempt_at: eb.ref('excluded.next_attempt_at'),
      first_failed_at: eb.ref('excluded.first_failed_at'),
      created_at: eb.ref('excluded.created_at'),
      updated_at: eb.ref('excluded.updated_at')
    // Already queued for this profile: its retry schedule stands (a repeated change must not reset a backoff).
    })).where((eb) => eb.not(eb.and([eb('assignments.status', 'in', [...OUTSTANDING]), eb('assignments.profile_uuid', '=', eb.ref('excluded.profile_uuid'))])))).executeTakeFirst()
    queued += Number(written.numInsertedOrUpdatedRows)
  }
  return queued
}

export function createAssignmentRepository (db: Kysely<Database>, now: () => Date): AssignmentRepository {
  async function fenced<T> (server: string, owner: string, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return await db.transaction().execute(async (trx) => {
      // The same fence as the mirror's page writes: it locks the lease row, so only its holder writes.
      const held = await trx.updateTable('inventory_state').set({ lease_owner: owner })
        .where('server', '=', server).where('lease_owner', '=', owner).executeTakeFirst()
      if (held.numUpdatedRows === 0n) throw new LeaseLostError(server)
      return await fn(trx)
    })
  }

  return {
    async queueFromFeed (server, owner, limit, plan) {
      return await fenced(server, owner, async (trx) => {
        const cursor = (await trx.selectFrom('assignment_cursors').select('seq').where('server', '=', server).executeTakeFirst())?.seq ?? 0
        const rows = await trx.selectFrom('inventory_changes').select(['seq', 'serial_number', 'op', 'record'])
          .where('server', '=', server).where('seq', '>', cursor).orderBy('seq').limit(limit).execute()
        if (rows.length === 0) return { read: 0, queued: 0 }
        // A device changed twice in the batch: its last state is the one that counts.
        const latest = new Map<string, FeedChange>()
        for (const r of rows) latest.set(r.serial_number, { seq: Number(r.seq), serial: r.serial_number, op: r.op, record: r.record })
        const queued = await writeWanted(trx, server, plan([...latest.values()]), now().toISOString())
        const seq = Number(rows[rows.length - 1].seq)
        await trx.insertInto('assignment_cursors').values({ server, seq })
          .onConflict((oc) => oc.column('server').doUpdateSet({ seq })).execute()
        return { read: rows.length, queued }
      })
    },

    async skipFeed (server, owner) {
      await fenced(server, owner, async (trx) => {
        const { last_seq: seq } = await trx.selectFrom('inventory_state').select('last_seq').where('server', '=', server).executeTakeFirstOrThrow()
        await trx.insertInto('assignment_cursors').values({ server, seq })
          .onConflict((oc) => oc.column('server').doUpdateSet({ seq })).execute()
      })
    },

    async queueDevices (server, wanted) {
      return await db.transaction().execute(async (trx) => await writeWanted(trx, server, wanted, now().toISOString()))
    },

    async rowsFor (server, serials) {
      const out: AssignmentRow[] = []
      for (const batch of chunks(serials)) {
        out.push(...await db.selectFrom('assignments').selectAll().where('server', '=', server).where('serial_number', 'in', batch).execute())
      }
      return out
    },

    async settledFor (server, jobId, placeholder) {
      return await db.selectFrom('job_results as r')
        .leftJoin('assignments as a', (join) => join.on('a.server', '=', server).onRef('a.serial_number', '=', 'r.serial'))
        .select(['r.serial', 'a.status', 'a.last_error'])
        .where('r.job_id', '=', jobId).where('r.status', '=', placeholder)
        .where((eb) => eb.or([eb('a.status', 'is', null), eb('a.status', 'not in', [...OUTSTANDING])]))
        .orderBy('r.serial').execute()
    },

    async due (server, limit) {
      return await db.selectFrom('assignments').selectAll()
        .where('server', '=', server).where('status', 'in', [...OUTSTANDING]).where('next_attempt_at', '<=', now().toISOString())
        .orderBy('profile_uuid').orderBy('serial_number').limit(limit).execute()
    },

    async nextDueAt (server) {
      const row = await db.selectFrom('assignments').select((eb) => eb.fn.min('next_attempt_at').as('at'))
        .where('server', '=', server).where('status', 'in', [...OUTSTANDING]).executeTakeFirst()
      return row?.at ?? null
    },

    async recordOutcomes (server, owner, outcomes) {
      const at = now().toISOString()
      await fenced(server, owner, async (trx) => {
        // One UPDATE … RETURNING per distinct write and chunk of serials: a batch's answers mostly
        // share one (SUCCESS at the first try), so 1000 answers are a few statements, not 2000.
        const groups = new Map<string, { profileUuid: string, set: Omit<Outcome, 'serial' | 'profileUuid'>, serials: string[] }>()
        for (const { serial, profileUuid, ...set } of outcomes) {
          const key = JSON.stringify([profileUuid, set.status, set.attempts, set.streak, set.last_result, set.last_error, set.next_attempt_at, set.first_failed_at])
          const group = groups.get(key) ?? { profileUuid, set, serials: [] }
          group.serials.push(serial)
          groups.set(key, group)
        }
        const written = new Map<string, AssignmentRow>()
        for (const { profileUuid, set, serials } of groups.values()) {
          for (const batch of chunks(serials)) {
            // A row re-queued for another profile, or already finished, is left as it is.
            const rows = await trx.updateTable('assignments').set({ ...set, updated_at: at })
              .where('server', '=', server).where('serial_number', 'in', batch).where('profile_uuid', '=', profileUuid)
              .where('status', 'in', [...OUTSTANDING]).returningAll().execute()
            for (const row of rows) written.set(row.serial_number, row)
          }
        }
        // Webhooks: each outcome's event commits with it (src/events/outbox.ts), only for a row written, in the answer's order.
        const events = outcomes.flatMap(({ serial }) => {
          const row = written.get(serial)
          const event = row === undefined ? undefined : assignmentEvent(server, row)
          return event === undefined ? [] : [event]
        })
        await recordEvents(trx, events, { at: new Date(at) })
      })
    },

    async postpone (server, owner, serials, until, error) {
      const at = now().toISOString()
      await fenced(server, owner, async (trx) => {
        for (const batch of chunks(serials)) {
          await trx.updateTable('assignments').set({ next_attempt_at: until, last_error: error, updated_at: at })
            .where('server', '=', server).where('serial_number', 'in', batch).where('status', 'in', [...OUTSTANDING]).execute()
        }
      })
    },

    async list (server, q) {
      let query = db.selectFrom('assignments').selectAll().where('server', '=', server)
      if (q.status !== undefined) query = query.where('status', '=', q.status)
      if (q.serial !== undefined) query = query.where('serial_number', '=', q.serial)
      if (q.after !== undefined) query = query.where('serial_number', '>', q.after)
      return await query.orderBy('serial_number').limit(q.limit).execute()
    },

    async retry (server) {
      const at = now().toISOString()
      return await db.transaction().execute(async (trx) => {
        const due = await trx.updateTable('assignments').set({ next_attempt_at: at, updated_at: at })
          .where('server', '=', server).where('status', 'in', ['failed', 'throttled']).executeTakeFirst()
        // A row that gave up starts over: its give-up deadline counts from its next failure.
        const revived = await trx.updateTable('assignments').set({ status: 'pending', streak: 0, first_failed_at: null, next_attempt_at: at, updated_at: at })
          .where('server', '=', server).where('status', '=', 'gave_up').executeTakeFirst()
        return Number(due.numUpdatedRows + revived.numUpdatedRows)
      })
    },

    async stats () {
      const rows = await db.selectFrom('assignments')
        .select((eb) => ['server', 'status', eb.fn.countAll<number | string | bigint>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('status', 'in', [...OUTSTANDING]).groupBy(['server', 'status']).execute()
      const out = new Map<string, QueueStats>()
      for (const r of rows) {
        const s = out.get(r.server) ?? { server: r.server, depth: 0, oldestPendingAt: null }
        s.depth += Number(r.n)
        if (r.status === 'pending') s.oldestPendingAt = r.oldest
        out.set(r.server, s)
      }
      return [...out.values()]
    }
  }
}
