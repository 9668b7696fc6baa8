/**
 * The mirror of every configured server on this replica: one ServerSyncer per server (the
 * lease decides which replica syncs), a reconcile loop that follows servers being added and
 * deleted (also by other replicas or the CLI), statuses for the API and metrics, sync requests,
 * and the wake-ups behind the change feed's long poll.
 */
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { MirrorStatus } from '../api/mirror-status.js'
import type { DepClient } from '../dep/index.js'
import { type Cancel, delay, nothingToCancel, type Scheduler } from '../scheduler.js'
import type { MirrorRepository, MirrorStateRow } from '../store/index.js'
import { DEFAULT_FEED_RETENTION_MS, ServerSyncer, type ServerSyncerOptions, type SyncLogger } from './server-syncer.js'

export interface SyncRequest {
  /** Fetch every device again instead of following Apple's changes. */
  full?: boolean
  /** Wait for the run (here, or on the replica that leads). */
  wait?: boolean
  timeoutMs?: number
}

export type { MirrorStatus }

export interface ServerSource {
  names (): string[]
  client (name: string): DepClient
  /** Re-reads the server list (another replica or the CLI may have changed it). */
  reload (): Promise<void>
}

export interface MirrorOptions {
  repo: MirrorRepository
  servers: ServerSource
  enabled: boolean
  intervalMs: number
  leaseMs: number
  pageSize?: number
  /** How long the change feed keeps a removal (default DEFAULT_FEED_RETENTION_MS). */
  feedRetentionMs?: number
  log: SyncLogger
  /** First retry delay after a failed sync. */
  retryBaseMs: number
  /** How often a long poll (or a wait for another replica's run) re-reads the state. */
  pollMs: number
  /** The least time between two full fetches that a request may start (DEPGATE_FULL_SYNC_MIN_INTERVAL). */
  fullSyncMinIntervalMs: number
  onRun?: ServerSyncerOptions['onRun']
  describeError: ServerSyncerOptions['describeError']
  /** Clock and timers of the syncers, the reconcile loop and the waits (`realScheduler` in production). */
  scheduler: Scheduler
}

const secondsSince = (iso: string | null, now: number): number | null => iso === null ? null : Math.max(0, Math.round((now - Date.parse(iso)) / 1000))

export class Mirror {
  readonly enabled: boolean
  /** Identifies this replica in the lease. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  private readonly o: MirrorOptions
  private readonly scheduler: Scheduler
  private readonly syncers = new Map<string, ServerSyncer>()
  private readonly pages = new EventEmitter().setMaxListeners(0)
  private readonly synced = new EventEmitter()
  private readonly stopHooks: Array<() => Promise<void>> = []
  private cancelReconcile: Cancel = nothingToCancel
  private reconciling: Promise<void> | undefined
  private stopped = false
  /** Ends every pending long poll at stop, so a waiting client never holds up a shutdown. */
  private readonly closing = new AbortController()
  /** The server list at the last purge: deleted servers are purged when it changes (a purge scans the mirror). */
  private purgedFor: string | undefined

  constructor (o: MirrorOptions) {
    this.o = o
    this.enabled = o.enabled
    this.scheduler = o.scheduler
  }

  private now (): number {
    return this.scheduler.now()
  }

  /** Starts a syncer per server, then follows the server list every third of a lease. */
  async start (): Promise<void> {
    if (!this.enabled) return
    await this.reconcile()
  }

  /** Runs `fn` at stop, before the syncers stop and release their leases (work fenced by them finishes first). */
  beforeStop (fn: () => Promise<void>): void {
    this.stopHooks.push(fn)
  }

  async stop (): Promise<void> {
    await Promise.all(this.stopHooks.map(async (fn) => await fn()))
    this.stopped = true
    this.closing.abort()
    this.cancelReconcile()
    await this.reconciling
    await Promise.all([...this.syncers.values()].map(async (s) => await s.stop()))
    this.syncers.clear()
  }

  async status (server: string): Promise<MirrorStatus> {
    return this.toStatus(server, await this.o.repo.getState(server))
  }

  async statuses (): Promise<Record<string, MirrorStatus>> {
    const states = new Map((await this.o.repo.listStates()).map((s) => [s.server, s]))
    const out: Record<string, MirrorStatus> = {}
    for (const name of this.o.servers.names()) out[name] = this.toStatus(name, states.get(name))
    return out
  }

  /** True while this replica holds the server's sync lease: the work that goes with the lease (the assignment engine) runs here. */
  isLeader (server: string): boolean {
    return this.syncers.get(server)?.leader ?? false
  }

  /** Calls `listener` after each sync page this replica commits (never for own writes); returns the unsubscribe. */
  onPage (listener: (server: string) => void): () => void {
    this.synced.on('page', listener)
    return () => { this.synced.off('page', listener) }
  }

  /** Wakes this replica's long polls on the server's change feed: a change was written outside a sync (an own write). */
  changed (server: string): void {
    this.pages.emit(server)
  }

  /** Records the request for whichever replica leads; waits for the run when asked (here, or by polling the state). */
  async requestSync (server: string, opts: SyncRequest = {}): Promise<MirrorStatus> {
    return (await this.syncNow(server, opts)).status
  }

  /**
   * requestSync, telling what became of the request: only recorded (no wait, or another replica
   * has not served it yet), run, or run and failed (the run's error is the status's last_error).
   */
  async syncNow (server: string, opts: SyncRequest = {}): Promise<{ status: MirrorStatus, outcome: 'requested' | 'ran' | 'failed' }> {
    // The request's time on the store's clock: a failure recorded at or after it is this run's.
    const askedAt = await this.o.repo.requestSync(server, opts.full === true)
    const syncer = this.syncers.get(server)
    const run = syncer?.trigger()
    if (opts.wait === true) {
      if (run !== undefined && syncer?.leader === true) await run
      else await this.untilServed(server, opts.timeoutMs ?? 60_000)
    }
    const status = await this.status(server)
    if (opts.wait !== true || status.sync_requested_at !== null) return { status, outcome: 'requested' }
    return { status, outcome: status.last_error !== null && status.last_error.at >= askedAt ? 'failed' : 'ran' }
  }

  /**
   * Seconds until a requested full fetch may start: a full fetch re-reads the whole fleet from
   * Apple, so a burst of `full=true` requests must not run one each. 0 when it may start now, or
   * when one is already requested (the new request merges into it).
   */
  async fullSyncWaitSeconds (server: string): Promise<number> {
    const state = await this.o.repo.getState(server)
    if (state?.fetch_started_at == null || state.requested_full === 1) return 0
    const left = Date.parse(state.fetch_started_at) + this.o.fullSyncMinIntervalMs - this.now()
    return left > 0 ? Math.ceil(left / 1000) : 0
  }

  /** True as soon as the server's change feed holds a change after `since`; false at the timeout or on abort. */
  async waitForChange (server: string, since: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    // Below the feed's floor (since=0 on a server added again, or a since from its dropped feed)
    // the first change to come is the floor's next number, not since's.
    const passed = async (): Promise<boolean> => {
      const state = await this.o.repo.getState(server)
      return state !== undefined && state.last_seq > Math.max(since, state.feed_floor)
    }
    if (await passed()) return true
    // The caller's signal (a client hanging up) or this replica closing ends the wait.
    const stop = AbortSignal.any(signal === undefined ? [this.closing.signal] : [signal, this.closing.signal])
    return await new Promise<boolean>((resolve) => {
      // Idempotent: a check may still resolve after the timeout or an abort has finished the wait.
      const finish = (value: boolean): void => {
        cancelTimeout()
        cancelPoll()
        this.pages.off(server, check)
        stop.removeEventListener('abort', abort)
        resolve(value)
      }
      const check = (): void => { passed().then((yes) => { if (yes) finish(true) }, () => {}) }
      const abort = (): void => finish(false)
      this.pages.on(server, check)
      // Another replica's pages raise no local event: its writes are seen by polling.
      const cancelPoll = this.scheduler.every(this.o.pollMs, check)
      const cancelTimeout = this.scheduler.after(timeoutMs, abort)
      stop.addEventListener('abort', abort)
      // Aborted while the first check was reading the database: an abort event will not come again.
      if (stop.aborted) abort()
    })
  }

  private async untilServed (server: string, timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs
    while ((await this.status(server)).sync_requested_at !== null && this.now() < deadline) {
      await delay(this.scheduler, this.o.pollMs)
    }
  }

  private toStatus (server: string, state: MirrorStateRow | undefined): MirrorStatus {
    const now = this.now()
    const syncer = this.syncers.get(server)
    return {
      enabled: this.enabled,
      ready: state?.ready_at != null,
      phase: state === undefined || state.generation === 0 ? null : state.phase as 'fetch' | 'sync',
      device_count: state?.device_count ?? 0,
      last_seq: state?.last_seq ?? 0,
      ready_at: state?.ready_at ?? null,
      last_success_at: state?.last_success_at ?? null,
      last_attempt_at: state?.last_attempt_at ?? null,
      last_error: state?.last_error_code == null ? null : { code: state.last_error_code, message: String(state.last_error_message), status: Number(state.last_error_status), at: String(state.last_error_at) },
      cursor_age_seconds: secondsSince(state?.cursor_at ?? null, now),
      lag_seconds: secondsSince(state?.last_success_at ?? null, now),
      leader: syncer?.leader ?? false,
      syncing: syncer?.syncing ?? false,
      sync_requested_at: state?.requested_at ?? null
    }
  }

  private async reconcile (): Promise<void> {
    const run = (async () => {
      try {
        await this.o.servers.reload()
        const names = new Set(this.o.servers.names())
        for (const name of names) {
          if (this.syncers.has(name) || this.stopped) continue
          const syncer = new ServerSyncer({
            server: name,
            owner: this.owner,
            repo: this.o.repo,
            client: () => this.o.servers.client(name),
            intervalMs: this.o.intervalMs,
            leaseMs: this.o.leaseMs,
            pageSize: this.o.pageSize,
            feedRetentionMs: this.o.feedRetentionMs ?? DEFAULT_FEED_RETENTION_MS,
            retryBaseMs: this.o.retryBaseMs,
            log: this.o.log,
            scheduler: this.scheduler,
            onPage: (server) => {
              this.pages.emit(server)
              this.synced.emit('page', server)
            },
            onRun: this.o.onRun,
            describeError: this.o.describeError
          })
          this.syncers.set(name, syncer)
          syncer.start()
        }
        for (const [name, syncer] of this.syncers) {
          if (names.has(name)) continue
          this.syncers.delete(name)
          await syncer.stop()
        }
        // A deleted server's mirror goes with it (whichever replica deleted it, even while this one
        // was down): at start, and whenever the list changed.
        const list = [...names].sort().join('\0')
        if (list !== this.purgedFor) {
          await this.o.repo.purgeOrphans()
          this.purgedFor = list
        }
      } catch (err) {
        if (!this.stopped) this.o.log.warn({ err }, 'inventory: could not reload the server list')
      }
    })()
    this.reconciling = run
    await run
    if (!this.stopped) this.cancelReconcile = this.scheduler.after(this.o.leaseMs / 3, async () => { await this.reconcile() })
  }
}
