/**
 * Delivers the outbox. One replica delivers (the webhook lease, taken and renewed at every tick);
 * each subscription has its own worker that sends its deliveries one at a time in order, so a
 * slow or failing receiver holds up only its own queue: a delivery that is not due yet (waiting
 * for a retry) keeps the ones after it waiting, which is what keeps the order. Outcomes:
 * 2xx succeeded; 410 Gone disables the subscription at once; anything else (a status, a network
 * error, a timeout) is retried on the schedule of backoff.ts until 3 days have passed since the
 * delivery's first attempt, when the subscription is disabled. Either way a `webhook.disabled`
 * event goes to the other subscriptions, a log line says so, and the metric counts it.
 *
 * What a delivery costs the database: a worker reads its queue's head BATCH deliveries at a time
 * with their event bodies (one query), opens the subscription's signing secrets once per run (read
 * again when a batch shows them changed: a rotation, or the previous secret's grace period over),
 * and records each attempt in one UPDATE. A batch is a snapshot: a URL changed meanwhile is used
 * from the next batch on (at most BATCH - 1 deliveries later), and a delivery that is no longer
 * pending when its success is written (another replica delivered it, or the subscription was
 * deleted) makes the worker drop the rest of the batch and read the queue again.
 */
import type { WebhookDeliveries, DueDelivery } from '../store/webhook-deliveries.js'
import type { Scheduler } from '../scheduler.js'
import { GIVE_UP_MS, parseRetryAfter, retryDelayMs } from './backoff.js'
import type { Sender } from './send.js'
import { signedHeaders } from './signing.js'
import { webhookUrlProblem } from './url-policy.js'

export type DeliveryResult = 'succeeded' | 'retrying' | 'disabled'

export interface DispatcherLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface DispatcherOptions {
  deliveries: WebhookDeliveries
  signingSecrets: (subscriptionId: string) => Promise<string[]>
  send: Sender
  scheduler: Scheduler
  /** This replica's name in the lease. */
  owner: string
  /** DEPGATE_WEBHOOK_ALLOW, checked again at each delivery. */
  allow: readonly string[]
  log: DispatcherLog
  /** How often the queue is looked at (and the lease renewed); default 1 s. */
  tickMs?: number
  leaseMs?: number
  /** The delays between attempts (backoff.ts's schedule unless DEPGATE_WEBHOOK_RETRY_DELAYS says otherwise). */
  retryDelaysMs?: readonly number[]
  onResult?: (result: DeliveryResult) => void
  /** Succeeded deliveries and unneeded events older than this are purged by the replica holding the lease, hourly. */
  retentionMs?: number
  /** Deliveries read from a subscription's queue at a time; default BATCH. */
  batchSize?: number
}

const BATCH = 20

/** What one attempt means for the rest of the batch: go on, read the queue again, or end the run (the head waits for a retry, or the subscription was disabled). */
type Next = 'next' | 'reread' | 'stop'

/** A worker run's signing secrets, with the version of the subscription's secrets they were read at. */
interface SecretsRead {
  version: string
  previousUntil: string | null
  secrets: string[]
}

const PURGE_EVERY_MS = 3_600_000

/** The last_error text: short, never a whole answer. */
const ERROR_CHARS = 200

export class Dispatcher {
  private readonly workers = new Map<string, Promise<void>>()
  /** Subscriptions a look found busy: their worker looks at the queue once more before it ends. */
  private readonly again = new Set<string>()
  private stopTicks: (() => void) | undefined
  private stopping = false
  private lastPurge = -Infinity
  private ticking: Promise<void> | undefined

  constructor (private readonly o: DispatcherOptions) {}

  start (): void {
    this.stopTicks = this.o.scheduler.every(this.o.tickMs ?? 1000, async () => { await this.tick() })
  }

  /** Looks at the queue now (a tick): starts a worker for every subscription with work and none running. */
  async tick (): Promise<void> {
    this.kick()
    await this.ticking
  }

  /** tick() without waiting (look() logs its own failures). */
  kick (): void {
    this.ticking ??= this.look().finally(() => { this.ticking = undefined })
  }

  /** Resolves once every worker running now has finished (tests: after moving the clock). */
  async idle (): Promise<void> {
    while (this.workers.size > 0) await Promise.allSettled([...this.workers.values()])
  }

  async stop (): Promise<void> {
    this.stopping = true
    this.stopTicks?.()
    await this.ticking
    await this.idle()
    await this.o.deliveries.releaseLease(this.o.owner).catch(() => {})
  }

  private async look (): Promise<void> {
    if (this.stopping) return
    try {
      if (!(await this.o.deliveries.acquireLease(this.o.owner, this.o.leaseMs ?? 30_000))) return
      const now = this.o.scheduler.now()
      if (this.o.retentionMs !== undefined && now - this.lastPurge >= PURGE_EVERY_MS) {
        this.lastPurge = now
        const purged = await this.o.deliveries.purge(new Date(now - this.o.retentionMs))
        if (purged.deliveries + purged.events > 0) this.o.log.info(purged, 'webhooks: purged deliveries and events past their retention')
      }
      for (const sub of await this.o.deliveries.queued()) {
        // A worker that read an empty queue just before this event was committed must not end
        // without it (a lost wake-up): it looks again.
        if (this.workers.has(sub)) {
          this.again.add(sub)
          continue
        }
        const worker = this.drain(sub).finally(() => { this.workers.delete(sub) })
        this.workers.set(sub, worker)
      }
    } catch (err) {
      this.o.log.warn({ err }, 'webhooks: could not read the delivery queue; trying again at the next tick')
    }
  }

  private async drain (sub: string): Promise<void> {
    const limit = this.o.batchSize ?? BATCH
    const read: { current?: SecretsRead } = {}
    try {
      for (;;) {
        this.again.delete(sub)
        const batch = await this.o.deliveries.heads(sub, limit)
        // After a batch sent, the queue is read again even when the batch was short: an event
        // committed while it was out is sent in this run, not at the next tick.
        let more = batch.length > 0
        for (const d of batch) {
          if (this.stopping) return
          if (d.nextAttemptAt > new Date(this.o.scheduler.now()).toISOString()) {
            more = false
            break
          }
          const next = await this.attempt(d, read)
          if (next === 'stop') return
          if (next === 'reread') break
        }
        if (!more && !this.again.has(sub)) return
      }
    } catch (err) {
      this.o.log.warn({ err, webhook: sub }, 'webhooks: a delivery could not be recorded; it is tried again at the next tick')
    }
  }

  /** The secrets that sign `d`: those of this run, read again when `d`'s subscription shows them changed or the previous one's grace period is over. */
  private async secretsFor (d: DueDelivery, read: { current?: SecretsRead }, now: number): Promise<string[]> {
    const known = read.current
    if (known !== undefined && known.version === d.secrets.version && known.previousUntil === d.secrets.previousUntil &&
      (known.secrets.length === 1 || now < Date.parse(known.previousUntil!))) return known.secrets
    const secrets = await this.o.signingSecrets(d.subscriptionId)
    read.current = { ...d.secrets, secrets }
    return secrets
  }

  /** One attempt, and what it means for the rest of the batch. */
  private async attempt (d: DueDelivery, read: { current?: SecretsRead }): Promise<Next> {
    const now = this.o.scheduler.now()
    let status: number | null = null
    let error: string
    let retryAfterMs: number | undefined
    const refused = webhookUrlProblem(d.url, this.o.allow)
    if (refused === undefined) {
      try {
        const secrets = await this.secretsFor(d, read, now)
        const res = await this.o.send(d.url, signedHeaders(secrets, d.eventId, Math.floor(now / 1000), d.body), d.body)
        status = res.status
        if (status >= 200 && status < 300) {
          const recorded = await this.o.deliveries.succeeded(d.seq, { status, error: null })
          this.o.onResult?.('succeeded')
          return recorded ? 'next' : 'reread'
        }
        error = `HTTP ${status}${res.snippet === '' ? '' : `: ${res.snippet}`}`
        retryAfterMs = parseRetryAfter(res.retryAfter, now)
      } catch (err) {
        error = describe(err)
      }
    } else {
      error = refused
    }
    const outcome = { status, error: error.slice(0, ERROR_CHARS) }
    const first = d.firstAttemptAt === null ? now : Date.parse(d.firstAttemptAt)
    const reason = status === 410 ? 'gone' : now - first >= GIVE_UP_MS ? 'failing' : undefined
    if (reason === undefined) {
      await this.o.deliveries.retryLater(d.seq, outcome, new Date(now + retryDelayMs(d.attempts + 1, this.o.scheduler.random(), retryAfterMs, this.o.retryDelaysMs)))
      this.o.onResult?.('retrying')
      return 'stop'
    }
    await this.o.deliveries.giveUp(d, outcome, reason)
    this.o.onResult?.('disabled')
    this.o.log.warn({ webhook: d.subscriptionId, reason, status }, reason === 'gone'
      ? `webhook ${d.subscriptionId} disabled: its receiver answered 410 Gone`
      : `webhook ${d.subscriptionId} disabled: its deliveries failed for 3 days`)
    return 'stop'
  }
}

/** A failed request in a few words: undici's error code where it gives one (the URL is the subscription's, known to its admins). */
function describe (err: unknown): string {
  const e = err as { code?: unknown, name?: unknown, message?: unknown }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out'
  return typeof e.code === 'string' ? `${e.code}: ${String(e.message)}` : String(e.message)
}
