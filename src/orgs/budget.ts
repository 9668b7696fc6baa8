/**
 * An org's request budget at Apple: Apple publishes no rate limits for its organisation API; one
 * client measured about 20 GETs a minute (docs/apple-axm.md §6), so the budget is configurable
 * (DEPGATE_ORG_REQUEST_BUDGET) and every GET depgate makes for the org counts against it: at most
 * that many in any minute, on the scheduler's clock.
 *
 * Two kinds of callers share it. Background work (the mirror's refresh, a job following Apple's
 * activities) waits for its turn, spaced evenly, and keeps off the last sixth of the budget: that
 * share is left to live API calls (a device read with `source=apple`, an MDM server check), so a
 * refresh of minutes yields to them. A live call never waits: its GETs are taken at once when they
 * fit the minute, else it is told how long until they would (answered 429 with Retry-After).
 * Apple's own 429 holds the whole budget for its Retry-After.
 */
import { delay, type Scheduler } from '../scheduler.js'

const MINUTE_MS = 60_000

export class RequestBudget {
  private readonly backgroundLimit: number
  private readonly spacingMs: number
  /** When each GET of the last minute was taken, oldest first. */
  private readonly stamps: number[] = []
  private nextAt = Number.NEGATIVE_INFINITY
  private heldUntil = Number.NEGATIVE_INFINITY
  /** GETs taken by background work (the refresher's count, for the logs and metrics). */
  used = 0

  constructor (private readonly scheduler: Scheduler, private readonly perMinute: number) {
    this.backgroundLimit = perMinute - Math.floor(perMinute / 6)
    this.spacingMs = MINUTE_MS / this.backgroundLimit
  }

  /** Background work: waits until one more GET fits (spaced evenly, within its share of the minute), and takes it. */
  async take (signal?: AbortSignal): Promise<void> {
    this.used++
    for (;;) {
      const now = this.scheduler.now()
      const at = Math.max(this.nextAt, this.heldUntil, this.freeAt(now, this.backgroundLimit, 1))
      if (at <= now) break
      // Another caller may take the turn meanwhile: looked at again once awake.
      await delay(this.scheduler, at - now, signal)
    }
    const now = this.scheduler.now()
    this.nextAt = now + this.spacingMs
    this.stamps.push(now)
  }

  /**
   * A live call: takes `count` GETs now when they fit the minute (a call of more GETs than the
   * whole budget goes through an idle minute) and answers undefined; else takes nothing and
   * answers how many ms until they would fit.
   */
  takeNow (count: number): number | undefined {
    const now = this.scheduler.now()
    const at = Math.max(this.heldUntil, this.freeAt(now, Math.max(this.perMinute, count), count))
    if (at > now) return at - now
    for (let i = 0; i < count; i++) this.stamps.push(now)
    return undefined
  }

  /** Apple said to wait (429 with Retry-After): no GET before then. */
  holdUntil (at: number): void {
    this.heldUntil = Math.max(this.heldUntil, at)
  }

  /** When `count` more GETs fit in a minute holding at most `limit` (`count` ≤ `limit`). */
  private freeAt (now: number, limit: number, count: number): number {
    while (this.stamps.length > 0 && this.stamps[0] <= now - MINUTE_MS) this.stamps.shift()
    const excess = this.stamps.length + count - limit
    return excess <= 0 ? now : this.stamps[excess - 1] + MINUTE_MS
  }
}

/** Every org's budget on this replica: the refresher, the jobs and the live API calls share one per org. */
export class OrgBudgets {
  private readonly budgets = new Map<string, RequestBudget>()

  constructor (private readonly scheduler: Scheduler, private readonly perMinute: number) {}

  get (org: string): RequestBudget {
    let budget = this.budgets.get(org)
    if (budget === undefined) {
      budget = new RequestBudget(this.scheduler, this.perMinute)
      this.budgets.set(org, budget)
    }
    return budget
  }
}
