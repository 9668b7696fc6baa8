/**
 * The job runner of one replica: it claims jobs of the kinds registered here (store/jobs.ts: one
 * replica per job, through a lease renewed every third of its length), runs each kind's handler,
 * and writes the outcome. A replica that dies leaves its jobs running with a claim that expires;
 * another replica's next poll claims them and the handler resumes from the results already
 * recorded. A cancel asked on any replica reaches the handler through its signal: at once here,
 * at the next heartbeat elsewhere. Finished jobs and their results are purged after the retention.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { JobRepository, StoredJob } from '../store/jobs.js'
import type { Cancel, Scheduler } from '../scheduler.js'
import { type JobContext, JobFailure, type JobKindHandler, type JobRecord, type Jobs } from './types.js'

export interface JobRunnerOptions {
  repo: JobRepository
  scheduler: Scheduler
  /** How long a claim lasts without a heartbeat (a dead replica's jobs wait this long). */
  leaseMs: number
  /** How often queued jobs (enqueued on another replica) and expired claims are looked for. */
  pollMs: number
  /** Finished jobs older than this are deleted with their results. */
  retentionMs: number
  /** How often the purge runs. */
  purgeEveryMs: number
  /** Jobs this replica works at once. */
  concurrency: number
  log: { warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
}

/** Why a running handler's signal fired. */
type StopReason = 'cancel' | 'lost' | 'shutdown'

class Stop extends Error {
  constructor (readonly reason: StopReason) { super(`job stopped: ${reason}`) }
}

export class JobRunner implements Jobs {
  /** Identifies this replica in job claims. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  private readonly handlers = new Map<string, JobKindHandler<any>>()
  private readonly active = new Map<string, { controller: AbortController, done: Promise<void> }>()
  private cancels: Cancel[] = []
  private stopping = false
  private ticking: Promise<void> | undefined

  constructor (private readonly opts: JobRunnerOptions) {}

  register<I>(handler: JobKindHandler<I>): void {
    if (this.handlers.has(handler.kind)) throw new Error(`job kind ${handler.kind} is registered twice`)
    this.handlers.set(handler.kind, handler)
  }

  get kinds (): string[] {
    return [...this.handlers.keys()]
  }

  async enqueue<I>(request: { kind: string, server?: string, org?: string, input: I, total?: number }): Promise<JobRecord> {
    if (!this.handlers.has(request.kind)) throw new Error(`no job kind ${request.kind} is registered`)
    const job = await this.opts.repo.insert({ id: randomUUID(), kind: request.kind, server: request.server ?? null, org: request.org ?? null, input: request.input, total: request.total ?? null })
    this.wake()
    return job
  }

  async get (id: string): Promise<JobRecord | undefined> {
    const job = await this.opts.repo.get(id)
    if (job === undefined) return undefined
    const { input: _input, ...record } = job
    return record
  }

  async cancel (id: string): Promise<{ job: JobRecord, finished: boolean } | undefined> {
    const answer = await this.opts.repo.requestCancel(id)
    this.active.get(id)?.controller.abort(new Stop('cancel'))
    return answer
  }

  /** Jobs running on this replica now. */
  get running (): number {
    return this.active.size
  }

  start (): void {
    this.stopping = false
    this.cancels = [
      this.opts.scheduler.every(this.opts.pollMs, async () => { await this.tick() }),
      this.opts.scheduler.every(this.opts.purgeEveryMs, async () => { await this.purge() })
    ]
    this.wake()
  }

  /** Stops claiming, aborts the jobs running here and gives their claims up so another replica resumes them at once. */
  async stop (): Promise<void> {
    this.stopping = true
    for (const cancel of this.cancels) cancel()
    await this.ticking
    for (const { controller } of this.active.values()) controller.abort(new Stop('shutdown'))
    await Promise.all([...this.active.values()].map(async (a) => await a.done))
  }

  /** Resolves once no job runs here (tests). */
  async idle (): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()].map(async (a) => await a.done))
  }

  /** Claims jobs while there is room; one tick at a time. */
  async tick (): Promise<void> {
    if (this.ticking !== undefined) return await this.ticking
    this.ticking = this.claimAll().finally(() => { this.ticking = undefined })
    await this.ticking
  }

  async purge (): Promise<number> {
    try {
      return await this.opts.repo.purge(new Date(this.opts.scheduler.now() - this.opts.retentionMs).toISOString())
    } catch (err) {
      this.opts.log.warn({ err }, 'jobs: could not purge old jobs; the next purge tries again')
      return 0
    }
  }

  private wake (): void {
    if (this.stopping || this.cancels.length === 0) return
    // Not awaited: never rejects (claimAll logs its own failures).
    this.tick()
  }

  private async claimAll (): Promise<void> {
    try {
      while (!this.stopping && this.active.size < this.opts.concurrency) {
        const job = await this.opts.repo.claim(this.owner, this.kinds, this.opts.leaseMs)
        if (job === undefined) return
        const controller = new AbortController()
        const done = this.run(job, controller).finally(() => {
          this.active.delete(job.id)
          // A slot came free: more may be waiting.
          this.wake()
        })
        this.active.set(job.id, { controller, done })
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'jobs: could not claim jobs; the next poll tries again')
    }
  }

  private async run (job: StoredJob, controller: AbortController): Promise<void> {
    const { repo, scheduler, leaseMs } = this.opts
    const { signal } = controller
    const abort = (reason: StopReason): void => { if (!signal.aborted) controller.abort(new Stop(reason)) }
    if (job.cancel_requested) abort('cancel')
    const heartbeat = scheduler.every(Math.max(1, Math.floor(leaseMs / 3)), async () => {
      try {
        const beat = await repo.heartbeat(job.id, this.owner, leaseMs)
        if (!beat.held) abort('lost')
        else if (beat.cancelRequested) abort('cancel')
      } catch (err) {
        // A database outage: the claim may lapse meanwhile, and then the fenced writes stop the handler.
        this.opts.log.warn({ err, job: job.id }, 'jobs: heartbeat failed')
      }
    })
    // Writes go through after a cancel or at shutdown (the claim is still ours, and what Apple did
    // must show); only a write that finds the claim gone stops the handler.
    const fenced = async (write: () => Promise<boolean>): Promise<void> => {
      if (!(await write())) {
        abort('lost')
        signal.throwIfAborted()
      }
    }
    const { input, ...record } = job
    const ctx: JobContext<unknown> = {
      job: record,
      input,
      signal,
      setTotal: async (total) => { await fenced(async () => await repo.setProgress(job.id, this.owner, { total })) },
      progress: async (done) => { await fenced(async () => await repo.setProgress(job.id, this.owner, { done })) },
      recordResults: async (rows) => { await repo.recordResults(job.id, rows) },
      doneSerials: async () => await repo.doneSerials(job.id),
      serialStatuses: async () => await repo.serialStatuses(job.id)
    }
    try {
      signal.throwIfAborted()
      const summary = await this.handlers.get(job.kind)!.run(ctx)
      signal.throwIfAborted()
      await repo.finish(job.id, this.owner, { state: 'succeeded', summary })
    } catch (err) {
      await this.settle(job, signal, err)
    } finally {
      heartbeat()
    }
  }

  private async settle (job: StoredJob, signal: AbortSignal, err: unknown): Promise<void> {
    const { repo } = this.opts
    try {
      const reason = signal.aborted ? (signal.reason as Stop).reason : undefined
      if (reason === 'cancel') await repo.finish(job.id, this.owner, { state: 'cancelled' })
      else if (reason === 'shutdown') await repo.release(job.id, this.owner)
      else if (reason === 'lost') this.opts.log.warn({ job: job.id }, 'jobs: another replica took this job over; it resumes there')
      else if (err instanceof JobFailure) await repo.finish(job.id, this.owner, { state: 'failed', error: { code: err.code, message: err.message } })
      else {
        this.opts.log.error({ err, job: job.id, kind: job.kind }, 'jobs: a job failed')
        await repo.finish(job.id, this.owner, { state: 'failed', error: { code: 'JOB_FAILED', message: 'The job stopped on an unexpected error; depgate\'s log has the details. Start it again to retry; serials already done are listed in its results.' } })
      }
    } catch (writeErr) {
      // The claim lapses and another replica (or this one, at its next poll) resumes the job.
      this.opts.log.warn({ err: writeErr, job: job.id }, 'jobs: could not write a job\'s outcome; it will be resumed')
    }
  }
}
