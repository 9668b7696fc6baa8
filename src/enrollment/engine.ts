/**
 * The assignment engine: gives devices the profile their first matching rule names, without anyone
 * watching for new devices. Per server, on the replica that holds the server's sync lease only:
 * 1. queue: the mirror's change feed, from the engine's cursor, matched against the rules (rules.ts's
 *    decision, the preview's), written to the outbox with the new cursor in one transaction;
 * 2. send: due outbox rows, grouped by profile UUID, ≤ 1000 serials per Apple call
 *    (docs/apple-dep.md §2.8), each answer written back with its retry schedule (engine-schedule.ts);
 *    SUCCESS shows in the mirror at once (read your writes).
 * It runs after each sync page the leader applies and on a timer (due retries, a new leader).
 * Every write is fenced by the lease: a replica that lost it stops without writing.
 */
import { DepError, MAX_CHUNK, type DepClient } from '../dep/index.js'
import { type Cancel, nothingToCancel, type Scheduler } from '../scheduler.js'
import { type AssignmentRepository, type AssignmentRow, type EnrollmentRepository, type FeedChange, LeaseLostError, type Outcome, type Wanted } from '../store/index.js'
import { afterAnswer, HOUR_MS } from './engine-schedule.js'
import { rulePlanner } from './engine-plan.js'
import type { AssignmentRule, DeviceRecord } from './rules.js'

export interface EngineLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface AssignmentEngineOptions {
  repo: AssignmentRepository
  enrollment: Pick<EnrollmentRepository, 'getRules' | 'listProfiles'>
  /** The mirror's lease: this replica's owner id and whether it leads a server now. */
  lease: { owner: string, isLeader: (server: string) => boolean }
  servers: { names: () => string[], client: (name: string) => DepClient }
  /** Shows SUCCESS in the mirror at once (a failure there is the caller's to log). */
  reflect: (server: string, profileUuid: string, serials: string[]) => Promise<void>
  scheduler: Scheduler
  /** DEPGATE_ASSIGN_GIVE_UP_DAYS in ms. */
  giveUpMs: number
  /** The longest the engine sleeps between two looks (leadership changes, retries due). */
  recheckMs: number
  log: EngineLogger
  /** After each Apple answer: how many serials got each result (metrics). */
  onResults?: (server: string, counts: Record<string, number>) => void
  /** Serials per Apple call (default and most: 1000). */
  batchSize?: number
  /** Due rows read per pass (default DUE_BATCH); a full pass runs another. */
  dueBatch?: number
  /** Feed changes matched per transaction (default FEED_BATCH). */
  feedBatch?: number
  /** The sentence a failed call leaves in the rows' last_error (never a secret). */
  describeError: (err: unknown) => string
}

/** Feed changes matched per transaction: bounds one transaction's size. */
const FEED_BATCH = 1000
/** Due rows read per pass: bounds the memory one pass holds. */
const DUE_BATCH = 10_000
/** A whole call failing (network, 5xx, a throttled call): first delay, doubled per failure in a row, up to an hour. */
const CALL_RETRY_BASE_MS = 5 * 60_000

export class AssignmentEngine {
  private readonly o: AssignmentEngineOptions
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private readonly callFailures = new Map<string, number>()
  private cancelTimer: Cancel = nothingToCancel
  private timerAt = 0
  private stopped = false

  constructor (o: AssignmentEngineOptions) {
    this.o = o
  }

  start (): void {
    this.arm(0)
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.cancelTimer()
    await Promise.all([...this.running.values()])
  }

  /** Queues and sends for `server` now (single flight: a kick during a run runs it once more after). Never rejects. */
  async kick (server: string): Promise<void> {
    const current = this.running.get(server)
    if (current !== undefined) {
      this.again.add(server)
      return await current
    }
    const run = (async () => {
      do {
        this.again.delete(server)
        await this.work(server)
      } while (this.again.has(server) && !this.stopped)
    })()
    this.running.set(server, run)
    try {
      await run
    } finally {
      this.running.delete(server)
    }
  }

  private arm (delayMs: number): void {
    if (this.stopped) return
    this.cancelTimer()
    this.timerAt = this.o.scheduler.now() + delayMs
    this.cancelTimer = this.o.scheduler.after(delayMs, async () => { await this.tick() })
  }

  /** Re-arms the timer earlier when a server has work due before it. */
  private async wakeFor (server: string): Promise<void> {
    const due = await this.o.repo.nextDueAt(server)
    if (due === null) return
    const at = Date.parse(due)
    if (at < this.timerAt) this.arm(Math.max(0, at - this.o.scheduler.now()))
  }

  private async tick (): Promise<void> {
    // Armed first: a pass below brings it forward when a retry falls due sooner.
    this.arm(this.o.recheckMs)
    await Promise.all(this.o.servers.names().map(async (server) => await this.kick(server)))
  }

  private async work (server: string): Promise<void> {
    if (this.stopped || !this.o.lease.isLeader(server)) return
    try {
      const rules = (await this.o.enrollment.getRules(server)).rules as AssignmentRule[]
      // No rules: the cursor keeps up, so a rule added later acts on devices that change from then
      // on; devices already there are the backfill's (POST …/assignment-rules/apply).
      if (rules.length === 0) {
        await this.o.repo.skipFeed(server, this.o.lease.owner)
        return
      }
      await this.queue(server, rules)
      await this.send(server)
      await this.wakeFor(server)
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.o.log.info({ server }, 'assignments: another replica took the sync lease; its engine carries on')
        return
      }
      if (!this.stopped) this.o.log.warn({ server, err }, 'assignments: a pass failed; it is tried again at the next sync or timer')
    }
  }

  private async queue (server: string, rules: AssignmentRule[]): Promise<void> {
    const planner = rulePlanner(rules, await this.o.enrollment.listProfiles(server))
    const plan = (changes: FeedChange[]): Wanted[] => changes.map((c) => planner(c.serial, c.op === 'removed' ? null : JSON.parse(c.record) as DeviceRecord))
    const limit = this.o.feedBatch ?? FEED_BATCH
    for (;;) {
      const { read, queued } = await this.o.repo.queueFromFeed(server, this.o.lease.owner, limit, plan)
      if (queued > 0) this.o.log.info({ server, queued }, 'assignments: devices queued by the rules')
      if (read < limit) return
    }
  }

  private async send (server: string): Promise<void> {
    const limit = this.o.dueBatch ?? DUE_BATCH
    const due = await this.o.repo.due(server, limit)
    const groups = new Map<string, AssignmentRow[]>()
    for (const row of due) {
      const group = groups.get(row.profile_uuid)
      if (group === undefined) groups.set(row.profile_uuid, [row])
      else group.push(row)
    }
    const size = Math.min(this.o.batchSize ?? MAX_CHUNK, MAX_CHUNK)
    for (const [uuid, rows] of groups) {
      for (let i = 0; i < rows.length && !this.stopped; i += size) await this.call(server, uuid, rows.slice(i, i + size))
    }
    if (due.length === limit) this.again.add(server)
  }

  private async call (server: string, uuid: string, rows: AssignmentRow[]): Promise<void> {
    const serials = rows.map((r) => r.serial_number)
    let answer
    try {
      answer = await this.o.servers.client(server).assignProfile(uuid, serials)
    } catch (err) {
      const failures = (this.callFailures.get(server) ?? 0) + 1
      this.callFailures.set(server, failures)
      // Apple's Retry-After when it gave one (a throttled or unavailable call), else our backoff.
      const retryAfter = err instanceof DepError ? err.retryAfterSeconds : undefined
      const delay = retryAfter !== undefined ? retryAfter * 1000 : Math.min(CALL_RETRY_BASE_MS * 2 ** (failures - 1), HOUR_MS)
      const until = new Date(this.o.scheduler.now() + delay).toISOString()
      await this.o.repo.postpone(server, this.o.lease.owner, serials, until, `The call to Apple failed: ${this.o.describeError(err)} The batch is sent again at ${until}.`)
      this.o.log.warn({ server, err, serials: serials.length }, 'assignments: the call to Apple failed; the batch waits')
      return
    }
    this.callFailures.delete(server)
    const now = this.o.scheduler.now()
    const counts: Record<string, number> = {}
    const outcomes: Outcome[] = rows.map((row) => {
      // A serial Apple left out of its answer counts as FAILED: retried on the failure schedule.
      const result = answer.devices[row.serial_number] ?? 'FAILED'
      counts[result] = (counts[result] ?? 0) + 1
      return afterAnswer(row, result, { now, retryAfterSeconds: answer.retry_after_seconds, giveUpMs: this.o.giveUpMs })
    })
    // The mirror first: once a row says succeeded, a reader finds the device on its profile.
    const succeeded = outcomes.filter((o) => o.status === 'succeeded').map((o) => o.serial)
    if (succeeded.length > 0) await this.o.reflect(server, uuid, succeeded)
    await this.o.repo.recordOutcomes(server, this.o.lease.owner, outcomes)
    this.o.onResults?.(server, counts)
  }
}
