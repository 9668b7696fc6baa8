/**
 * Deliveries: the dispatcher's queue (each subscription's oldest pending delivery first), the
 * outcome of each attempt, the delivery lease, and what the API shows (a subscription's
 * deliveries, a retry, a replay). Delivery is at least once: an outcome is written only to a
 * delivery still pending, so a replica that lost the lease mid-request cannot undo another's work,
 * and the receiver tells a repeat by its `webhook-id`.
 */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely'
import { FILTER_COLUMNS, matches, recordEvent } from '../events/outbox.js'
import type { Database } from './schema.js'
import { leaseOps } from './leases.js'
import type { WebhookDeliveriesTable } from './webhook-schema.js'

const LEASE_ROW = 'delivery'

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

export interface DeliveryRecord {
  id: number
  eventId: string
  eventType: string
  status: DeliveryStatus
  attempts: number
  lastStatus: number | null
  lastError: string | null
  nextAttemptAt: string | null
  createdAt: string
  lastAttemptAt: string | null
}

/** A delivery at the head of a subscription's queue, with what the request needs. */
export interface DueDelivery {
  seq: number
  subscriptionId: string
  url: string
  eventId: string
  body: string
  attempts: number
  firstAttemptAt: string | null
  nextAttemptAt: string
  /**
   * Which signing secrets are in force: the subscription's sealed current secret (a rotation, or
   * the token webhook's re-seal at start, always changes it: every seal has a fresh random IV) and
   * until when the previous one still signs (null when there is none). The dispatcher reads the
   * secrets again when either differs from what it read them with; never logged or shown.
   */
  secrets: { version: string, previousUntil: string | null }
}

export interface AttemptOutcome {
  status: number | null
  error: string | null
}

export interface WebhookDeliveries {
  acquireLease (owner: string, ttlMs: number): Promise<boolean>
  releaseLease (owner: string): Promise<void>
  /** Enabled subscriptions with a pending delivery. */
  queued (): Promise<string[]>
  /**
   * The subscription's oldest pending deliveries, at most `limit`, oldest first, with their event
   * bodies, in one query (due or not: a later one waits behind one that is not due yet).
   */
  heads (subscriptionId: string, limit: number): Promise<DueDelivery[]>
  /** False when the delivery was no longer pending (done by another replica, or deleted with its subscription): nothing was written. */
  succeeded (seq: number, outcome: AttemptOutcome): Promise<boolean>
  /** Another attempt at `nextAt`. */
  retryLater (seq: number, outcome: AttemptOutcome, nextAt: Date): Promise<void>
  /**
   * Gives up the delivery and disables its subscription (`reason`: gone, failing), recording a
   * webhook.disabled event for the other subscriptions, in one transaction.
   */
  giveUp (delivery: { seq: number, subscriptionId: string }, outcome: AttemptOutcome, reason: 'gone' | 'failing'): Promise<void>
  list (subscriptionId: string, opts: { status?: DeliveryStatus, after?: number, limit: number }): Promise<DeliveryRecord[]>
  /**
   * Retention: deletes succeeded deliveries made before `before`, then the events of before then
   * that no delivery refers to any more (a pending or failed one keeps its event: it may still be
   * sent or retried). Counts of what was deleted.
   */
  purge (before: Date): Promise<{ deliveries: number, events: number }>
  /** Queues a delivery again at once; false when the subscription has no such delivery. */
  retry (subscriptionId: string, seq: number): Promise<boolean>
  /** Queues again every stored event since `since` the subscription's filters take; returns how many. */
  replay (subscriptionId: string, since: string): Promise<number>
  /** Per enabled subscription: pending deliveries and the oldest one's creation time. */
  backlog (): Promise<Array<{ subscriptionId: string, pending: number, oldest: string }>>
  /** Per subscription with any delivery: how many in each state, the oldest pending one's creation time, the last success. */
  health (): Promise<DeliveryHealth[]>
  /**
   * Deliveries whose last attempt failed (given up, or pending after a failed attempt), the latest
   * attempt first: of one subscription, or of all.
   */
  failures (opts: { subscriptionId?: string, limit: number }): Promise<FailedDelivery[]>
}

export interface DeliveryHealth {
  subscriptionId: string
  pending: number
  succeeded: number
  failed: number
  /** created_at of the oldest pending delivery, null when none waits. */
  oldestPending: string | null
  /** When the last delivery succeeded, null if none has (or the succeeded ones were purged). */
  lastSuccessAt: string | null
}

export interface FailedDelivery extends DeliveryRecord { subscriptionId: string }

function deliveryRecord (row: Selectable<WebhookDeliveriesTable> & { event_id: string, event_type: string }): DeliveryRecord {
  return {
    id: row.seq,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at
  }
}

export function createWebhookDeliveries (db: Kysely<Database>, now: () => Date): WebhookDeliveries {
  const iso = (offsetMs = 0): string => new Date(now().getTime() + offsetMs).toISOString()
  const lease = leaseOps(db, 'webhook_lease', 'name', now, { owner: 'owner', expires: 'expires_at' })

  /** An attempt's bookkeeping in the UPDATE itself (no read first): one more attempt, the first one's time kept. */
  const attempted = (outcome: AttemptOutcome) => (eb: ExpressionBuilder<Database, 'webhook_deliveries'>) => {
    const at = iso()
    return {
      last_status: outcome.status,
      last_error: outcome.error,
      last_attempt_at: at,
      first_attempt_at: eb.fn.coalesce('first_attempt_at', eb.val(at)),
      attempts: eb('attempts', '+', 1)
    }
  }

  return {
    async acquireLease (owner, ttlMs) {
      await db.insertInto('webhook_lease').values({ name: LEASE_ROW, owner: null, expires_at: null })
        .onConflict((oc) => oc.column('name').doNothing()).execute()
      return await lease.acquire(LEASE_ROW, owner, ttlMs)
    },
    async releaseLease (owner) {
      await lease.release(LEASE_ROW, owner)
    },
    async queued () {
      const rows = await db.selectFrom('webhook_deliveries').select('subscription_id').distinct()
        .where('status', '=', 'pending')
        .where('subscription_id', 'in', db.selectFrom('webhook_subscriptions').select('id').where('enabled', '=', 1))
        .orderBy('subscription_id').execute()
      return rows.map((r) => r.subscription_id)
    },
    async heads (subscriptionId, limit) {
      const rows = await db.selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        .select(['d.seq', 'd.subscription_id', 's.url', 's.secret_sealed', 's.previous_secret_sealed', 's.previous_until', 'e.id as event_id', 'e.type', 'e.data', 'e.created_at', 'd.attempts', 'd.first_attempt_at', 'd.next_attempt_at'])
        .where('d.subscription_id', '=', subscriptionId).where('d.status', '=', 'pending')
        .orderBy('d.seq').limit(limit).execute()
      return rows.map((row) => ({
        seq: row.seq,
        subscriptionId: row.subscription_id,
        url: row.url,
        eventId: row.event_id,
        body: `{"type":${JSON.stringify(row.type)},"id":${JSON.stringify(row.event_id)},"timestamp":${JSON.stringify(row.created_at)},"data":${row.data}}`,
        attempts: row.attempts,
        firstAttemptAt: row.first_attempt_at,
        nextAttemptAt: row.next_attempt_at,
        secrets: { version: row.secret_sealed, previousUntil: row.previous_secret_sealed === null ? null : row.previous_until }
      }))
    },
    async succeeded (seq, outcome) {
      const updated = await db.updateTable('webhook_deliveries').set((eb) => ({ ...attempted(outcome)(eb), status: 'succeeded' }))
        .where('seq', '=', seq).where('status', '=', 'pending').executeTakeFirst()
      return updated.numUpdatedRows > 0n
    },
    async retryLater (seq, outcome, nextAt) {
      await db.updateTable('webhook_deliveries').set((eb) => ({ ...attempted(outcome)(eb), next_attempt_at: nextAt.toISOString() }))
        .where('seq', '=', seq).where('status', '=', 'pending').execute()
    },
    async giveUp ({ seq, subscriptionId: sub }, outcome, reason) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('webhook_deliveries').set((eb) => ({ ...attempted(outcome)(eb), status: 'failed' }))
          .where('seq', '=', seq).execute()
        const disabled = await trx.updateTable('webhook_subscriptions').set({ enabled: 0, disabled_reason: reason, updated_at: iso() })
          .where('id', '=', sub).where('enabled', '=', 1).executeTakeFirst()
        if (disabled.numUpdatedRows > 0n) {
          await recordEvent(trx, { type: 'webhook.disabled', server: null, data: { webhook_id: sub, reason, last_status: outcome.status } }, { at: now() })
        }
      })
    },
    async list (subscriptionId, opts) {
      let query = db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
        .selectAll('d').select(['e.id as event_id', 'e.type as event_type'])
        .where('d.subscription_id', '=', subscriptionId)
      if (opts.status !== undefined) query = query.where('d.status', '=', opts.status)
      if (opts.after !== undefined) query = query.where('d.seq', '<', opts.after)
      return (await query.orderBy('d.seq', 'desc').limit(opts.limit).execute()).map(deliveryRecord)
    },
    async retry (subscriptionId, seq) {
      const updated = await db.updateTable('webhook_deliveries')
        // A fresh start: the 3 days before giving up count from the next attempt.
        .set({ status: 'pending', next_attempt_at: iso(), first_attempt_at: null })
        .where('seq', '=', seq).where('subscription_id', '=', subscriptionId).executeTakeFirst()
      return updated.numUpdatedRows > 0n
    },
    async replay (subscriptionId, since) {
      return await db.transaction().execute(async (trx) => {
        const sub = await trx.selectFrom('webhook_subscriptions').select(FILTER_COLUMNS).where('id', '=', subscriptionId).executeTakeFirstOrThrow()
        const events = await trx.selectFrom('webhook_events').select(['seq', 'type', 'server', 'org'])
          .where('created_at', '>=', since).where('type', '!=', 'webhook.test').orderBy('seq').execute()
        const at = iso()
        const rows = events.filter((e) => matches(sub, e.type, e.server, e.org)).map((e) => ({
          subscription_id: subscriptionId, event_seq: e.seq, status: 'pending', attempts: 0, next_attempt_at: at, created_at: at
        }))
        for (let i = 0; i < rows.length; i += 200) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 200)).execute()
        return rows.length
      })
    },
    async purge (before) {
      const cutoff = before.toISOString()
      return await db.transaction().execute(async (trx) => {
        const deliveries = await trx.deleteFrom('webhook_deliveries').where('status', '=', 'succeeded').where('created_at', '<', cutoff).executeTakeFirst()
        const events = await trx.deleteFrom('webhook_events').where('created_at', '<', cutoff)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries').select('seq').whereRef('webhook_deliveries.event_seq', '=', 'webhook_events.seq'))))
          .executeTakeFirst()
        return { deliveries: Number(deliveries.numDeletedRows), events: Number(events.numDeletedRows) }
      })
    },
    async backlog () {
      const rows = await db.selectFrom('webhook_deliveries')
        .select((eb) => ['subscription_id', eb.fn.countAll<number | string>().as('pending'), eb.fn.min('created_at').as('oldest')])
        .where('status', '=', 'pending')
        .where('subscription_id', 'in', db.selectFrom('webhook_subscriptions').select('id').where('enabled', '=', 1))
        .groupBy('subscription_id').orderBy('subscription_id').execute()
      return rows.map((r) => ({ subscriptionId: r.subscription_id, pending: Number(r.pending), oldest: r.oldest }))
    },
    async health () {
      const rows = await db.selectFrom('webhook_deliveries')
        .select((eb) => ['subscription_id', 'status', eb.fn.countAll<number | string>().as('n'), eb.fn.min('created_at').as('oldest'), eb.fn.max('last_attempt_at').as('last')])
        .groupBy(['subscription_id', 'status']).orderBy('subscription_id').execute()
      const bySubscription = new Map<string, DeliveryHealth>()
      for (const r of rows) {
        let h = bySubscription.get(r.subscription_id)
        if (h === undefined) {
          h = { subscriptionId: r.subscription_id, pending: 0, succeeded: 0, failed: 0, oldestPending: null, lastSuccessAt: null }
          bySubscription.set(r.subscription_id, h)
        }
        const status = r.status as DeliveryStatus
        h[status] = Number(r.n)
        if (status === 'pending') h.oldestPending = r.oldest
        if (status === 'succeeded') h.lastSuccessAt = r.last
      }
      return [...bySubscription.values()]
    },
    async failures (opts) {
      let query = db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
        .selectAll('d').select(['e.id as event_id', 'e.type as event_type'])
        .where('d.status', '!=', 'succeeded').where('d.attempts', '>', 0)
      if (opts.subscriptionId !== undefined) query = query.where('d.subscription_id', '=', opts.subscriptionId)
      const rows = await query.orderBy('d.last_attempt_at', 'desc').orderBy('d.seq', 'desc').limit(opts.limit).execute()
      return rows.map((r) => ({ ...deliveryRecord(r), subscriptionId: r.subscription_id }))
    }
  }
}
