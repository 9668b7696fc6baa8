/**
 * What the webhook process tests share: the admin API of a depgate process, the outbox of one
 * subscription read straight from the database (what was committed, whatever the process did
 * after), and the check that a receiver got exactly the outbox: every event, signed, nothing the
 * outbox did not hold, a repeat only as the same event under the same webhook-id.
 */
import type { Kysely } from 'kysely'
import type { Test } from 'tap'
import type { Database } from '../../src/store/schema.js'
import { type Received, verifyAt } from './receiver.js'

export const S = '/v1/servers/default'

export type Api = (method: string, path: string, body?: unknown) => Promise<any>

/** Calls depgate's API with the admin key at whatever `base()` is then (it changes on a restart). */
export function adminApi (adminKey: string, base: () => string): Api {
  const authorization = `Bearer ${adminKey}`
  return async (method, path, body) => {
    const res = await fetch(`${base()}${path}`, { method, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const json = await res.json()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }
}

export interface OutboxEntry { id: string, type: string, data: Record<string, unknown>, status: string, attempts: number }

/** The subscription's deliveries with their events, in the order they are delivered. */
export async function outbox (db: Kysely<Database>, subscriptionId: string): Promise<OutboxEntry[]> {
  const rows = await db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
    .select(['e.id', 'e.type', 'e.data', 'd.status', 'd.attempts']).where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.seq').execute()
  return rows.map((r) => ({ id: r.id, type: r.type, data: JSON.parse(r.data) as Record<string, unknown>, status: r.status, attempts: r.attempts }))
}

/** The webhook lease's holder as stored (`host:pid:random`), or null. */
export async function deliveryLeaseOwner (db: Kysely<Database>): Promise<string | null> {
  return (await db.selectFrom('webhook_lease').select('owner').where('name', '=', 'delivery').executeTakeFirst())?.owner ?? null
}

/**
 * The receiver's requests against the outbox: each verified with `standardwebhooks` (at the real
 * clock: depgate runs as a process); each names an outbox event, with its payload's id as its
 * webhook-id and the very bytes of every other request under that id; every outbox event was
 * answered 2xx; the first 2xx of each came in the outbox's order. Returns how many requests
 * repeated an event already answered 2xx.
 */
export function checkReceived (t: Test, got: Received[], secret: string, expected: OutboxEntry[]): number {
  const byId = new Map(expected.map((e, i) => [e.id, { e, i }]))
  const bodies = new Map<string, string>()
  const firstOk: string[] = []
  let repeats = 0
  const faults: string[] = []
  for (const r of got) {
    const id = String(r.headers['webhook-id'])
    let payload: { id?: string, type?: string, data?: unknown }
    try {
      payload = verifyAt(secret, r, Date.now()) as typeof payload
    } catch (err) {
      faults.push(`${id}: not verified (${(err as Error).message})`)
      continue
    }
    const known = byId.get(id)
    if (known === undefined) faults.push(`${id}: no such event in the outbox`)
    else if (payload.id !== id || payload.type !== known.e.type) faults.push(`${id}: payload ${String(payload.id)} ${String(payload.type)}`)
    if (bodies.has(id) && bodies.get(id) !== r.body) faults.push(`${id}: sent twice with different bodies`)
    bodies.set(id, r.body)
    if (r.status !== undefined && r.status >= 200 && r.status < 300) {
      if (firstOk.includes(id)) repeats++
      else firstOk.push(id)
    }
  }
  t.same(faults, [], `${got.length} requests: each verified by standardwebhooks, each an outbox event under its own webhook-id`)
  t.same(firstOk, expected.map((e) => e.id), `all ${expected.length} outbox events answered 2xx, in the outbox's order`)
  return repeats
}
