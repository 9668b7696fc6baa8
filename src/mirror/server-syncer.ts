/**
 * Keeps one server's mirror current from one replica. Every replica runs one of these per server;
 * the store's lease decides which of them syncs: a tick every third of the lease takes or renews
 * it, so a dead leader's lease expires and a follower takes over within about 1⅓ leases. The
 * leader runs a sync when one is due (first fetch not done, the interval passed, a request from
 * the API) and backs off exponentially after errors, never past the interval. A run ends by
 * compacting the server's change feed (store/feed-compaction.ts), fenced by the same lease, so the
 * log stays about the size of the fleet; a compaction that fails fails the run (retried as one).
 */
import type { DepClient } from '../dep/index.js'
import { type Cancel, nothingToCancel, type Scheduler } from '../scheduler.js'
import { LeaseLostError, type MirrorRepository } from '../store/index.js'
import type { SyncFailure } from '../store/mirror-writes.js'
import type { CompactionResult } from '../store/mirror.js'
import { runSync, type SyncRunResult } from './sync-run.js'

export interface SyncLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface ServerSyncerOptions {
  server: string
  owner: string
  repo: MirrorRepository
  /** The server's current client (replaced when its token is). */
  client: () => DepClient
  intervalMs: number
  leaseMs: number
  /** First retry delay after an error; doubles per failure up to the interval. */
  retryBaseMs: number
  pageSize?: number
  /** How long the change feed keeps a device's removal (DEPGATE_FEED_RETENTION_DAYS). */
  feedRetentionMs: number
  log: SyncLogger
  /** The clock, timers and jitter of every tick, heartbeat and backoff. */
  scheduler: Scheduler
  /** After each committed page (wakes change-feed long polls). */
  onPage?: (server: string) => void
  /** The code, sentence and HTTP status a failed run leaves in the status (never a secret). */
  describeError: (err: unknown) => SyncFailure
  /** After each run, with its outcome (metrics). */
  onRun?: (server: string, outcome: { result?: SyncRunResult, compacted?: CompactionResult, error?: SyncFailure, durationMs: number }) => void
}

export const DEFAULT_RETRY_BASE_MS = 5000
/** DEPGATE_FEED_RETENTION_DAYS's default, 30 days. */
export const DEFAULT_FEED_RETENTION_MS = 30 * 86_400_000

export class ServerSyncer {
  readonly server: string
  leader = false
  syncing = false
  private readonly o: ServerSyncerOptions
  private readonly scheduler: Scheduler
  private failures = 0
  private nextDueAt = 0
  private cancelTick: Cancel = nothingToCancel
  private ticking: Promise<void> | undefined
  private stopped = false
  private readonly abort = new AbortController()

  constructor (o: ServerSyncerOptions) {
    this.o = o
    this.server = o.server
    this.scheduler = o.scheduler
  }

  private now (): number {
    return this.scheduler.now()
  }

  start (): void {
    this.schedule(0)
  }

  /** Runs a tick now (a request arrived); resolves after it, including any sync it ran. */
  async trigger (): Promise<void> {
    // tick() sets `ticking` synchronously, so concurrent triggers queue instead of running twice.
    while (this.ticking !== undefined) await this.ticking
    /* c8 ignore next - a request racing the app's close; the syncer must not take the lease again */
    if (this.stopped) return
    this.cancelTick()
    await this.tick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.cancelTick()
    this.abort.abort()
    await this.ticking
    if (this.leader) await this.o.repo.releaseLease(this.server, this.o.owner).catch(() => {})
    this.leader = false
  }

  private schedule (delayMs: number): void {
    if (this.stopped) return
    // The promise goes back to the scheduler: a manual clock's advance waits for the whole tick.
    // It never rejects (tickOnce catches everything), so the real timer leaves nothing unhandled.
    this.cancelTick = this.scheduler.after(delayMs, async () => { await this.tick() })
  }

  private async tick (): Promise<void> {
    const run = this.tickOnce()
    this.ticking = run
    await run
    if (this.ticking === run) this.ticking = undefined
    const renew = this.o.leaseMs / 3
    this.schedule(this.leader ? Math.max(0, Math.min(renew, this.nextDueAt - this.now())) : renew)
  }

  private async tickOnce (): Promise<void> {
    try {
      this.leader = await this.o.repo.acquireLease(this.server, this.o.owner, this.o.leaseMs)
      if (!this.leader || this.stopped) return
      const state = await this.o.repo.getState(this.server)
      const requestedAt = state?.requested_at ?? null
      if (requestedAt === null && this.now() < this.nextDueAt) return
      await this.run(state?.requested_full === 1, requestedAt)
    } catch (err) {
      // The database itself failed (or went away at shutdown): try again at the next tick.
      if (!this.stopped) this.o.log.warn({ server: this.server, err }, 'inventory: could not check the sync lease')
    }
  }

  private async run (full: boolean, requestedAt: string | null): Promise<void> {
    const { repo, owner } = this.o
    const started = this.now()
    this.syncing = true
    // Pages can be slow (Apple, retries): keep the lease alive while the run lasts.
    // Renew only: a lease lost meanwhile is not taken back in the middle of a run.
    const stopHeartbeat = this.scheduler.every(this.o.leaseMs / 3, async () => { await repo.renewLease(this.server, owner, this.o.leaseMs).catch(() => {}) })
    try {
      await repo.recordAttempt(this.server, owner)
      const result = await runSync({ server: this.server, owner, client: this.o.client(), repo, full, pageSize: this.o.pageSize, signal: this.abort.signal, onPage: () => this.o.onPage?.(this.server) })
      // The mirror is current once the pages committed: say so before compacting, which only tidies the log.
      await repo.recordSuccess(this.server, owner)
      const compacted = await this.compact()
      this.failures = 0
      this.nextDueAt = this.now() + this.o.intervalMs
      this.o.log.info({ server: this.server, ...result }, 'inventory: sync done')
      this.o.onRun?.(this.server, { result, compacted, durationMs: this.now() - started })
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.leader = false
        this.o.log.warn({ server: this.server }, 'inventory: another replica took the sync lease; stopping this run')
        return
      }
      if (this.stopped) return
      const error = this.o.describeError(err)
      this.failures++
      const backoff = this.o.retryBaseMs * 2 ** (this.failures - 1) * (0.8 + this.scheduler.random() * 0.4)
      this.nextDueAt = this.now() + Math.min(this.o.intervalMs, backoff)
      await repo.recordError(this.server, owner, error).catch(() => {})
      this.o.log.warn({ server: this.server, code: error.code, retryInMs: Math.round(this.nextDueAt - this.now()) }, `inventory: sync failed: ${error.message}`)
      this.o.onRun?.(this.server, { error, durationMs: this.now() - started })
    } finally {
      stopHeartbeat()
      this.syncing = false
      // A request is served by this run, failed or not (the error is in the status); a newer one stays.
      if (requestedAt !== null) await repo.clearRequest(this.server, owner, requestedAt).catch(() => {})
    }
  }

  /**
   * Tidies the change log after a successful run. Its failure is not the run's: the mirror is
   * already current and recorded as such, so it is logged on its own and tried again after the
   * next run (the next compaction picks up whatever this one left). A lost lease still stops the run.
   */
  private async compact (): Promise<CompactionResult | undefined> {
    try {
      const compacted = await this.o.repo.compactFeed(this.server, this.o.owner, this.o.feedRetentionMs)
      this.o.log.info({ server: this.server, ...compacted }, 'inventory: change feed compacted')
      return compacted
    } catch (err) {
      if (err instanceof LeaseLostError) throw err
      this.o.log.warn({ server: this.server, err }, 'inventory: could not compact the change feed; it is tried again after the next sync')
      return undefined
    }
  }
}
