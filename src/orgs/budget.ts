/**
 * The org mirror's request budget: Apple publishes no rate limits for its organisation API; one
 * client measured about 20 GETs a minute (docs/apple-axm.md §4), so the pace is configurable
 * (DEPGATE_ORG_REQUEST_BUDGET) and a refresh spaces its GETs evenly within it, on the scheduler's
 * clock. `used` counts the GETs taken, for the bench and the logs.
 */
import { delay, type Scheduler } from '../scheduler.js'

export class RequestBudget {
  private readonly spacingMs: number
  private nextAt = Number.NEGATIVE_INFINITY
  used = 0

  constructor (private readonly scheduler: Scheduler, perMinute: number) {
    this.spacingMs = 60_000 / perMinute
  }

  /** Waits until one more GET fits the budget, and takes it. */
  async take (signal?: AbortSignal): Promise<void> {
    const now = this.scheduler.now()
    const at = Math.max(now, this.nextAt)
    this.nextAt = at + this.spacingMs
    this.used++
    if (at > now) await delay(this.scheduler, at - now, signal)
  }

  /** Apple said to wait (429 with Retry-After): no GET before then. */
  holdUntil (at: number): void {
    this.nextAt = Math.max(this.nextAt, at)
  }
}
