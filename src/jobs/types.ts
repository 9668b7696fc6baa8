/**
 * The public API of depgate's job system: long work (a large profile assignment, a rule backfill, a
 * named profile's re-assignment, an org's device assignment) kept in the database with its progress
 * and per-serial results, so that it survives a crash and resumes on whichever replica claims it.
 *
 * A kind of job is a `JobKindHandler` registered once (`jobs.register`, from the plugin that owns
 * the work, before the app is ready). The runner claims queued jobs (or running ones whose claim
 * expired: a replica died) and calls the handler's `run` with a `JobContext`. A handler must be
 * resumable: it asks `doneSerials()` first and skips those, because a job taken over from a dead
 * replica starts again from the top with the results already recorded kept.
 */

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobState = typeof JOB_STATES[number]

/** A finished job's failure: a stable code and a sentence a Mac admin understands. */
export interface JobError {
  code: string
  message: string
}

/** A handler's summary of the whole job (e.g. the count per status): any JSON object. */
export type JobSummary = Record<string, unknown>

/** A job as the API shows it (GET /v1/jobs/{id}). Timestamps are ISO-8601 UTC. */
export interface JobRecord {
  id: string
  kind: string
  /** The depgate DEP server the job works on, if any. */
  server: string | null
  /** The ABM/ASM org the job works on, if any. */
  org: string | null
  state: JobState
  /** `total` is null until the handler (or enqueue) knows it. */
  progress: { done: number, total: number | null }
  created_at: string
  started_at: string | null
  finished_at: string | null
  summary: JobSummary | null
  error: JobError | null
  /** A cancel was asked for and the job has not stopped yet. */
  cancel_requested: boolean
}

/** One serial's outcome, as a handler records it. */
export interface JobResultInput {
  serial: string
  /** Apple's status for it (SUCCESS, NOT_ACCESSIBLE, FAILED, THROTTLED…) or the handler's own. */
  status: string
  detail?: string | null
}

/** One serial's outcome, as the API shows it (GET /v1/jobs/{id}/results). */
export interface JobResult {
  serial: string
  status: string
  detail: string | null
  at: string
}

export interface JobContext<I = unknown> {
  /** The job as claimed (state running). */
  readonly job: JobRecord
  /** The input given to `enqueue`, as JSON brought it back. */
  readonly input: I
  /**
   * Aborted when the job is cancelled, when this replica lost its claim (another one resumes the
   * job), or when the app shuts down. Check it between units of work and pass it on to every call
   * that can wait; once it fired, the handler's return is not the job's outcome. Results and
   * progress written after it fired are still kept (what Apple did must show), unless the claim
   * was lost: then those writes throw.
   */
  readonly signal: AbortSignal
  /** Sets progress.total (e.g. once the handler knows how many serials there are). */
  setTotal (total: number): Promise<void>
  /** Sets progress.done. */
  progress (done: number): Promise<void>
  /**
   * Records per-serial outcomes durably. Idempotent per (job, serial): a serial recorded again
   * (after a resume) keeps its latest outcome.
   */
  recordResults (rows: readonly JobResultInput[]): Promise<void>
  /** The serials that already have a result: what a resumed handler must not send again. */
  doneSerials (): Promise<Set<string>>
  /** Each serial with a result and its status (a handler may record a placeholder, e.g. `queued`, to fix its list). */
  serialStatuses (): Promise<Map<string, string>>
}

export interface JobKindHandler<I = unknown> {
  /** snake_case, stable: stored with each job and shown in the API (`assign_profile`, `apply_rules`…). */
  kind: string
  /**
   * Does the work and returns the job's summary; the job then succeeds. A thrown `JobFailure`
   * fails the job with its code and message; any other error fails it with JOB_FAILED and a
   * generic message (the error itself goes to the log, never to the API).
   */
  run (ctx: JobContext<I>): Promise<JobSummary>
}

/** Thrown by a handler to fail its job with a code and a sentence shown to API callers. */
export class JobFailure extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.name = 'JobFailure'
    this.code = code
  }
}

export interface EnqueueRequest<I = unknown> {
  kind: string
  server?: string
  org?: string
  /** Stored as JSON: plain data only. */
  input: I
  /** progress.total from the start, when the caller already knows it. */
  total?: number
}

export interface Jobs {
  /** Adds a kind; call before the app is ready (in the plugin that owns the work). A kind registered twice throws. */
  register<I>(handler: JobKindHandler<I>): void
  /** Stores a new queued job (an unregistered kind throws) and wakes the runner. */
  enqueue<I>(request: EnqueueRequest<I>): Promise<JobRecord>
  /** The job, or undefined. */
  get (id: string): Promise<JobRecord | undefined>
  /**
   * Asks a job to stop: a queued one is cancelled at once, a running one once its handler sees
   * the signal. Answers the job as it is now, `finished` when it had already finished (nothing
   * changed), or undefined for an unknown id.
   */
  cancel (id: string): Promise<{ job: JobRecord, finished: boolean } | undefined>
}
