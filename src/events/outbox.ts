/**
 * The outbox: `recordEvent` writes an event in the caller's transaction, the one that commits its
 * cause (a mirror page, a token store, a failed sync), so an event exists if and only if its
 * cause was committed. Fan-out happens here, at record time: one pending delivery per enabled
 * subscription whose `events`, `servers` and `orgs` match, so what a subscription receives is decided by
 * its settings when the event happened, and a subscription made later does not receive the past
 * (POST /v1/webhooks/{id}/replay does that on request). An event no subscription wants is not
 * written at all: an install without webhooks keeps an empty outbox, and the mirror's page writes
 * pay one small query.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../store/schema.js'
import type { EventInput } from './types.js'

type Db = Kysely<Database> | Transaction<Database>

/** Rows per multi-row statement (well under both databases' bound-parameter limits). */
const BATCH = 200

export interface SubscriptionFilter { id: string, events: string, servers: string, orgs: string }

/** The subscription's columns `matches` reads. */
export const FILTER_COLUMNS = ['id', 'events', 'servers', 'orgs'] as const

const takes = (list: string, name: string | null): boolean => {
  if (name === null) return true
  const names = JSON.parse(list) as string[]
  return names.includes('*') || names.includes(name)
}

/**
 * Whether a subscription's filters take the event: its type in `events`, its server (if it names
 * one) in `servers`, its org (if it names one) in `orgs`. Events about depgate itself name neither.
 */
export function matches (sub: SubscriptionFilter, type: string, server: string | null, org: string | null): boolean {
  return takes(sub.events, type) && takes(sub.servers, server) && takes(sub.orgs, org)
}

export function newEventId (key?: string): string {
  return `msg_${key === undefined ? randomBytes(12).toString('hex') : createHash('sha256').update(key).digest('hex').slice(0, 24)}`
}

export interface RecordOptions {
  /** The time of the cause (the caller's clock): the event's timestamp and its deliveries' first due time. */
  at: Date
  /** Deliver to this subscription only, whatever its filters (webhook.test). */
  only?: string
}

/**
 * Writes the events (in order) and their deliveries in `trx`. Returns the ids of the events
 * written (those some subscription takes). Call it inside the transaction of the cause.
 */
export async function recordEvents (trx: Db, inputs: readonly EventInput[], opts: RecordOptions): Promise<string[]> {
  const query = trx.selectFrom('webhook_subscriptions').select(FILTER_COLUMNS)
  // A test goes to its subscription even while disabled: it waits there until the subscription is enabled.
  const subs = await (opts.only === undefined ? query.where('enabled', '=', 1) : query.where('id', '=', opts.only)).orderBy('id').execute()
  if (subs.length === 0) return []
  const at = opts.at.toISOString()
  // A keyed event already recorded is not recorded again. Two transactions writing it at the same
  // moment both pass this check: the unique id keeps one row, and only the one whose insert wrote it
  // queues its deliveries (RETURNING names the rows written), so the receiver hears of it once.
  const keyed = inputs.flatMap((e) => e.key === undefined ? [] : [newEventId(e.key)])
  const known = new Set(keyed.length === 0 ? [] : (await trx.selectFrom('webhook_events').select('id').where('id', 'in', keyed).execute()).map((r) => r.id))
  const fresh = inputs.filter((e) => e.key === undefined || !known.has(newEventId(e.key)))
  const wanted = fresh.map((e) => ({ e, to: subs.filter((s) => opts.only !== undefined || matches(s, e.type, e.server, e.org ?? null)).map((s) => s.id) })).filter((w) => w.to.length > 0)
  const ids: string[] = []
  for (let i = 0; i < wanted.length; i += BATCH) {
    const tried = wanted.slice(i, i + BATCH).map((w) => ({ ...w, id: newEventId(w.e.key) }))
    const written = new Set((await trx.insertInto('webhook_events').values(tried.map((w) => ({
      id: w.id, type: w.e.type, server: w.e.server, org: w.e.org ?? null, data: JSON.stringify(w.e.data), created_at: at
    }))).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute()).map((r) => r.id))
    const batch = tried.filter((w) => written.has(w.id))
    // The database numbers them: read the numbers back by id rather than rely on RETURNING's order.
    const seqs = new Map((await trx.selectFrom('webhook_events').select(['id', 'seq']).where('id', 'in', batch.map((w) => w.id)).execute()).map((r) => [r.id, r.seq]))
    const deliveries = batch.flatMap((w) => w.to.map((sub) => ({
      subscription_id: sub, event_seq: seqs.get(w.id)!, status: 'pending', attempts: 0, next_attempt_at: at, created_at: at
    })))
    // Ordered by event, so each subscription's deliveries are numbered in the events' order.
    deliveries.sort((a, b) => a.event_seq - b.event_seq)
    for (let j = 0; j < deliveries.length; j += BATCH) await trx.insertInto('webhook_deliveries').values(deliveries.slice(j, j + BATCH)).execute()
    ids.push(...batch.map((w) => w.id))
  }
  return ids
}

/** One event (see recordEvents); its id, or undefined when no subscription takes it. */
export async function recordEvent (trx: Db, input: EventInput, opts: RecordOptions): Promise<string | undefined> {
  return (await recordEvents(trx, [input], opts))[0]
}
