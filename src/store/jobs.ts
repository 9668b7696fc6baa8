/**
 * Jobs and their per-serial results (0011), for src/jobs. Written once for SQLite and PostgreSQL.
 *
 * A job is worked by one replica at a time: `claim` takes a queued job, or a running one whose
 * claim expired (its replica died or stalled), with a conditional UPDATE that repeats the
 * condition it selected on, so of two replicas racing for one job exactly one UPDATE matches. The
 * holder renews the claim (`heartbeat`) and every write of progress or outcome is fenced on
 * `claimed_by`, so a replica that lost the claim cannot finish a job another one now works.
 */
import type { ExpressionBuilder, Kysely, Transaction } from 'kysely'
import { recordEvent } from '../events/outbox.js'
import { jobFinishedEvent } from '../events/job-events.js'
import type { Database, JobsTable } from './schema.js'
import type { JobError, JobRecord, JobResult, JobResultInput, JobState, JobSummary } from '../jobs/types.js'

/** A job with its input, as the runner needs it. */
export interface StoredJob extends JobRecord {
  input: unknown
}

export interface JobListQuery {
  state?: JobState
  kind?: string
  server?: string
  limit: number
  /** Only jobs after this one in the list's order (newest first): its created_at and id. */
  after?: { createdAt: string, id: string }
}

export interface JobResultsQuery {
  status?: string
  limit: number
  /** Only serials after this one (results are listed by serial). */
  after?: string
}

export interface NewJob {
  id: string
  kind: string
  server: string | null
  org: string | null
  input: unknown
  total: number | null
}

export interface JobRepository {
  insert (job: NewJob): Promise<JobRecord>
  get (id: string): Promise<StoredJob | undefined>
  list (query: JobListQuery): Promise<JobRecord[]>
  /** Claims the oldest claimable job of these kinds for `owner`, or answers undefined. */
  claim (owner: string, kinds: readonly string[], leaseMs: number): Promise<StoredJob | undefined>
  /** Renews the claim while `owner` holds it; `held` false when it does not any more. */
  heartbeat (id: string, owner: string, leaseMs: number): Promise<{ held: boolean, cancelRequested: boolean }>
  /** Sets progress while `owner` holds the claim; false when it does not. */
  setProgress (id: string, owner: string, progress: { done?: number, total?: number }): Promise<boolean>
  recordResults (id: string, rows: readonly JobResultInput[]): Promise<void>
  doneSerials (id: string): Promise<Set<string>>
  /** Each serial the job has a result for, with its status. */
  serialStatuses (id: string): Promise<Map<string, string>>
  listResults (id: string, query: JobResultsQuery): Promise<JobResult[]>
  /** How many of the job's serials have each status. */
  statusCounts (id: string): Promise<Record<string, number>>
  /** Finishes the job while `owner` holds the claim; false when it does not. */
  finish (id: string, owner: string, outcome: { state: 'succeeded' | 'failed' | 'cancelled', summary?: JobSummary, error?: JobError }): Promise<boolean>
  /** Gives the claim up (shutdown) so another replica resumes the job at once instead of after the lease. */
  release (id: string, owner: string): Promise<void>
  /**
   * Asks for a cancel: a queued job is cancelled at once; a running one is marked for its runner.
   * `finished` when the job had already finished (nothing changed).
   */
  requestCancel (id: string): Promise<{ job: JobRecord, finished: boolean } | undefined>
  /** Deletes jobs finished before `before` and their results; answers how many jobs went. */
  purge (before: string): Promise<number>
  /** Count of jobs per kind and state (metrics). */
  counts (): Promise<Array<{ kind: string, state: string, count: number }>>
}

function parse<T> (text: string | null): T | null {
  return text === null ? null : JSON.parse(text) as T
}

function view (r: JobsTable): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    server: r.server,
    org: r.org,
    state: r.state as JobState,
    progress: { done: Number(r.progress_done), total: r.progress_total === null ? null : Number(r.progress_total) },
    created_at: r.created_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    summary: parse<JobSummary>(r.summary),
    error: parse<JobError>(r.error),
    cancel_requested: Number(r.cancel_requested) === 1
  }
}

const stored = (r: JobsTable): StoredJob => ({ ...view(r), input: JSON.parse(r.input) })

function record ({ input: _input, ...job }: StoredJob): JobRecord {
  return job
}

/** Rows per insert: well under SQLite's 32766 bound parameters (5 per row). */
const RESULT_BATCH = 500

export function createJobRepository (db: Kysely<Database>, now: () => Date): JobRepository {
  const iso = (plusMs = 0): string => new Date(now().getTime() + plusMs).toISOString()

  /** Webhooks: job.finished commits with the final state (src/events/outbox.ts), as the API shows the job. */
  async function recordFinished (trx: Transaction<Database>, id: string): Promise<void> {
    const row = await trx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    await recordEvent(trx, jobFinishedEvent(view(row)), { at: new Date(row.finished_at!) })
  }

  async function get (id: string): Promise<StoredJob | undefined> {
    const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? undefined : stored(row)
  }

  return {
    async insert (job) {
      const row: JobsTable = {
        id: job.id,
        kind: job.kind,
        server: job.server,
        org: job.org,
        state: 'queued',
        input: JSON.stringify(job.input),
        progress_done: 0,
        progress_total: job.total,
        summary: null,
        error: null,
        created_at: iso(),
        started_at: null,
        finished_at: null,
        claimed_by: null,
        claim_expires_at: null,
        cancel_requested: 0
      }
      await db.insertInto('jobs').values(row).execute()
      return view(row)
    },

    get,

    async list ({ state, kind, server, limit, after }) {
      let q = db.selectFrom('jobs').selectAll()
      if (state !== undefined) q = q.where('state', '=', state)
      if (kind !== undefined) q = q.where('kind', '=', kind)
      if (server !== undefined) q = q.where('server', '=', server)
      if (after !== undefined) {
        q = q.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]))
      }
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      return rows.map(view)
    },

    async claim (owner, kinds, leaseMs) {
      if (kinds.length === 0) return undefined
      const at = iso()
      const claimable = (eb: ExpressionBuilder<Database, 'jobs'>) => eb.and([
        eb('kind', 'in', kinds),
        eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb('claim_expires_at', '<', at)])])
      ])
      const candidates = await db.selectFrom('jobs').select('id').where(claimable).orderBy('created_at').orderBy('id').limit(5).execute()
      for (const { id } of candidates) {
        const won = await db.updateTable('jobs')
          .set((eb) => ({ state: 'running', claimed_by: owner, claim_expires_at: iso(leaseMs), started_at: eb.fn.coalesce('started_at', eb.val(at)) }))
          .where('id', '=', id).where(claimable).executeTakeFirst()
        // Another replica took it between the select and the update: try the next one.
        if (won.numUpdatedRows === 1n) return await get(id)
      }
      return undefined
    },

    async heartbeat (id, owner, leaseMs) {
      const r = await db.updateTable('jobs').set({ claim_expires_at: iso(leaseMs) })
        .where('id', '=', id).where('claimed_by', '=', owner).where('state', '=', 'running').executeTakeFirst()
      if (r.numUpdatedRows !== 1n) return { held: false, cancelRequested: false }
      const row = await db.selectFrom('jobs').select('cancel_requested').where('id', '=', id).executeTakeFirstOrThrow()
      return { held: true, cancelRequested: Number(row.cancel_requested) === 1 }
    },

    async setProgress (id, owner, { done, total }) {
      const r = await db.updateTable('jobs')
        .set({ ...(done === undefined ? {} : { progress_done: done }), ...(total === undefined ? {} : { progress_total: total }) })
        .where('id', '=', id).where('claimed_by', '=', owner).where('state', '=', 'running').executeTakeFirst()
      return r.numUpdatedRows === 1n
    },

    async recordResults (id, rows) {
      const at = iso()
      // The latest outcome per serial wins, within one call too (ON CONFLICT may not touch a row twice in one statement).
      const latest = new Map(rows.map((r) => [r.serial, r]))
      const values = [...latest.values()].map((r) => ({ job_id: id, serial: r.serial, status: r.status, detail: r.detail ?? null, at }))
      // One transaction for all the chunks: one commit, and a reader sees the whole call or none of it.
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < values.length; i += RESULT_BATCH) {
          await trx.insertInto('job_results').values(values.slice(i, i + RESULT_BATCH))
            .onConflict((oc) => oc.columns(['job_id', 'serial']).doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), detail: eb.ref('excluded.detail'), at: eb.ref('excluded.at') })))
            .execute()
        }
      })
    },

    async doneSerials (id) {
      const rows = await db.selectFrom('job_results').select('serial').where('job_id', '=', id).execute()
      return new Set(rows.map((r) => r.serial))
    },

    async serialStatuses (id) {
      const rows = await db.selectFrom('job_results').select(['serial', 'status']).where('job_id', '=', id).execute()
      return new Map(rows.map((r) => [r.serial, r.status]))
    },

    async listResults (id, { status, limit, after }) {
      let q = db.selectFrom('job_results').select(['serial', 'status', 'detail', 'at']).where('job_id', '=', id)
      if (status !== undefined) q = q.where('status', '=', status)
      if (after !== undefined) q = q.where('serial', '>', after)
      return await q.orderBy('serial').limit(limit).execute()
    },

    async statusCounts (id) {
      const rows = await db.selectFrom('job_results').select((eb) => ['status', eb.fn.countAll<string | number>().as('count')])
        .where('job_id', '=', id).groupBy('status').orderBy('status').execute()
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]))
    },

    async finish (id, owner, { state, summary, error }) {
      return await db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('jobs')
          .set({ state, summary: summary === undefined ? null : JSON.stringify(summary), error: error === undefined ? null : JSON.stringify(error), finished_at: iso(), claimed_by: null, claim_expires_at: null })
          .where('id', '=', id).where('claimed_by', '=', owner).where('state', '=', 'running').executeTakeFirst()
        if (r.numUpdatedRows !== 1n) return false
        await recordFinished(trx, id)
        return true
      })
    },

    async release (id, owner) {
      await db.updateTable('jobs').set({ claim_expires_at: iso() })
        .where('id', '=', id).where('claimed_by', '=', owner).where('state', '=', 'running').execute()
    },

    async requestCancel (id) {
      const before = await get(id)
      if (before === undefined) return undefined
      if (before.state !== 'queued' && before.state !== 'running') return { job: record(before), finished: true }
      // Queued: nobody works it, so it is cancelled here; the state condition loses to a claim made meanwhile.
      const cancelled = await db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('jobs').set({ state: 'cancelled', cancel_requested: 1, finished_at: iso() })
          .where('id', '=', id).where('state', '=', 'queued').executeTakeFirst()
        if (r.numUpdatedRows === 1n) await recordFinished(trx, id)
        return r
      })
      if (cancelled.numUpdatedRows !== 1n) {
        await db.updateTable('jobs').set({ cancel_requested: 1 }).where('id', '=', id).where('state', '=', 'running').execute()
      }
      return { job: record((await get(id))!), finished: false }
    },

    async purge (before) {
      return await db.transaction().execute(async (trx) => {
        const old = trx.selectFrom('jobs').select('id').where('finished_at', '<', before)
        await trx.deleteFrom('job_results').where('job_id', 'in', old).execute()
        const r = await trx.deleteFrom('jobs').where('finished_at', '<', before).executeTakeFirst()
        return Number(r.numDeletedRows)
      })
    },

    async counts () {
      const rows = await db.selectFrom('jobs').select((eb) => ['kind', 'state', eb.fn.countAll<string | number>().as('count')]).groupBy(['kind', 'state']).execute()
      return rows.map((r) => ({ kind: r.kind, state: r.state, count: Number(r.count) }))
    }
  }
}
