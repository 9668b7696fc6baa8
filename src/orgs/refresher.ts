/**
 * Keeps every org's mirror fresh: each tick, for each org, the replica that holds (or takes) the
 * org's lease starts a refresh when one is due (never done, older than the interval, or asked for
 * through the API) and none is running here. A failure is recorded (code and sentence, as an API
 * caller would get them) and retried at a later tick; Apple's 429 holds the org's budget for its
 * Retry-After. Runs start in the background: a tick never waits for a walk of minutes.
 */
import { randomUUID } from 'node:crypto'
import type { Cancel, Scheduler } from '../scheduler.js'
import type { OrgApplied, Store } from '../store/index.js'
import type { OrgBudgets } from './budget.js'
import { tokenExpiry } from './account.js'
import { refreshOrg } from './refresh.js'
import type { OrgClient } from './types.js'

export interface OrgRefresherOptions {
  store: Store
  client: (org: string) => Promise<OrgClient>
  scheduler: Scheduler
  intervalMs: number
  /** The orgs' request budgets, shared with the live API calls and the jobs of this replica. */
  budgets: OrgBudgets
  leaseMs: number
  describeError: (err: unknown, org: string) => { code: string, message: string, retryAfterMs?: number }
  onRun?: (org: string, outcome: { result?: OrgApplied, error?: unknown, requests: number }) => void
}

export class OrgRefresher {
  readonly owner = randomUUID()
  private readonly running = new Map<string, Promise<void>>()
  private readonly aborts = new AbortController()
  private timer: Cancel | undefined
  private ticking: Promise<void> | undefined

  constructor (private readonly opts: OrgRefresherOptions) {}

  /** Starts looking: at once, then every third of the lease (a live replica renews its leases well before they expire). */
  start (): void {
    const tick = async (): Promise<void> => { await this.tick() }
    const first = this.opts.scheduler.after(0, tick)
    const every = this.opts.scheduler.every(Math.max(1000, Math.floor(this.opts.leaseMs / 3)), tick)
    this.timer = () => { first(); every() }
  }

  /** One look at every org (exported for tests: what a timer tick does). */
  async tick (): Promise<void> {
    // A real timer fires whether or not the last look ended: it joins that look.
    if (this.ticking !== undefined) return await this.ticking
    this.ticking = this.look().finally(() => { this.ticking = undefined })
    await this.ticking
  }

  /** The run in progress for `org`, if any (tests and the API's wait). */
  current (org: string): Promise<void> | undefined {
    return this.running.get(org)
  }

  async stop (): Promise<void> {
    this.timer?.()
    this.aborts.abort(new Error('depgate is shutting down'))
    await this.ticking
    await Promise.allSettled(this.running.values())
    for (const org of await this.opts.store.orgs.list().catch(() => [])) {
      await this.opts.store.orgMirror.releaseLease(org.name, this.owner).catch(() => {})
    }
  }

  private async look (): Promise<void> {
    const { store, scheduler, intervalMs, leaseMs } = this.opts
    try {
      for (const { name } of await store.orgs.list()) {
        if (this.aborts.signal.aborted) return
        if (!(await store.orgMirror.acquireLease(name, this.owner, leaseMs))) continue
        // The org's walk from an earlier look is still going: it is not started twice.
        if (this.running.has(name)) continue
        const state = await store.orgMirror.getState(name)
        const last = state?.last_refresh_at == null ? undefined : Date.parse(state.last_refresh_at)
        const attempt = state?.last_attempt_at == null ? undefined : Date.parse(state.last_attempt_at)
        const now = scheduler.now()
        // A failed run is retried after a tenth of the interval, not at every tick.
        const failedRecently = state?.last_error_code != null && attempt !== undefined && now - attempt < intervalMs / 10
        // A walk started and never finished (its replica died or lost the lease) is redone at once.
        const unfinished = state?.refresh_started_at != null && (state.last_refresh_at === null || state.refresh_started_at > state.last_refresh_at)
        const due = state?.requested_at != null || ((last === undefined || now - last >= intervalMs || unfinished) && !failedRecently)
        if (due) this.launch(name)
      }
    } catch {
      // The database was away: the next tick looks again (the mirror reports its own state).
    }
  }

  private launch (org: string): void {
    const run = this.run(org).finally(() => { this.running.delete(org) })
    this.running.set(org, run)
  }

  private async run (org: string): Promise<void> {
    const { store, onRun, describeError, leaseMs } = this.opts
    const budget = this.opts.budgets.get(org)
    const before = budget.used
    try {
      const client = await this.opts.client(org)
      const result = await refreshOrg({ org, owner: this.owner, client, writes: store.orgMirror, budget, leaseMs, signal: this.aborts.signal })
      // The org's view shows when its access token expires: the walk just used (or renewed) one.
      const expiresAt = tokenExpiry(client)
      if (expiresAt !== undefined) await store.orgs.recordToken(org, expiresAt)
      onRun?.(org, { result, requests: budget.used - before })
    } catch (error) {
      const described = describeError(error, org)
      if (described.retryAfterMs !== undefined) budget.holdUntil(this.opts.scheduler.now() + described.retryAfterMs)
      await store.orgMirror.recordError(org, this.owner, described).catch(() => {})
      onRun?.(org, { error, requests: budget.used - before })
    }
  }
}
