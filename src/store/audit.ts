/**
 * The audit log. Every row is written in the transaction of the change it records: a repository
 * that changes something takes an `AuditEntryInput` and calls insertAudit() with its own
 * transaction, so a crash can never keep the change and lose its row (or the reverse).
 *
 * A call to Apple changes nothing here, and may never answer: it is written as an attempt
 * (`result: pending`) before the call and finished after, so a crash leaves the attempt visible.
 * The serials it names are kept with it; a list longer than AUDIT_INLINE_SERIALS goes to
 * `audit_serials` and the row keeps its count, a SHA-256 of the sorted list and a reference.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

/** Most serials kept in the row itself; Apple's own batch size. */
export const AUDIT_INLINE_SERIALS = 1000
/** The result of an attempt whose outcome is not written yet. */
export const PENDING = 'pending'

export interface AuditEntryInput {
  /** The API key id that acted (`bootstrap` for DEPGATE_ADMIN_KEY, `cli` for the command line). */
  keyId: string | null
  /** Dotted verb, e.g. `server.put`, `key.create`, `profile.assign`. */
  action: string
  /** What was acted on, e.g. `/v1/servers/default`, `/v1/keys/0a1b2c3d4e5f`. */
  target: string
  /** `ok`, `pending` (an attempt), or the problem code that stopped it. */
  result: string
  /** A short non-secret note (counts, profile uuid…). */
  detail?: string
  /** The depgate server acted on; default: read from a `/v1/servers/<name>…` target. */
  server?: string
  /** The serials the action names. */
  serials?: readonly string[]
}

export interface AuditEntry {
  id: string
  at: string
  keyId: string | null
  action: string
  target: string
  result: string
  detail?: string
  server?: string
  serialCount?: number
  serials?: string[]
  serialsSha256?: string
  serialsRef?: string
  finishedAt?: string
}

export interface AuditQuery {
  limit?: number
  target?: string
  keyId?: string
  action?: string
  server?: string
  /** ISO 8601 instants, inclusive. */
  since?: string
  until?: string
  /** Only entries older than this id (paging, newest first). */
  before?: string
}

export interface AuditRepository {
  /** Writes one entry on its own (no other change goes with it). */
  record (entry: AuditEntryInput): Promise<AuditEntry>
  /** Writes an attempt (`result: pending`) before a call to Apple; answers its id. */
  attempt (entry: Omit<AuditEntryInput, 'result'>): Promise<string>
  /** Writes an attempt's outcome; `detail` replaces the attempt's when given. */
  finish (id: string, outcome: { result: string, detail?: string }): Promise<void>
  /** Newest first. */
  list (opts?: AuditQuery): Promise<AuditEntry[]>
  /** The serials of one entry (inline or kept apart), or undefined for an unknown id. */
  serials (id: string): Promise<string[] | undefined>
}

let seq = 0
/** Sortable within a process: millisecond time, then a counter, then randomness against other replicas. */
function auditId (at: Date): string {
  seq = (seq + 1) % 0x100000
  return `${at.getTime().toString(36).padStart(9, '0')}-${seq.toString(36).padStart(4, '0')}-${randomBytes(4).toString('hex')}`
}

/** The server a `/v1/servers/<name>[/…]` target names. */
function serverOf (target: string): string | null {
  const m = /^\/v1\/servers\/([^/]+)/.exec(target)
  return m === null ? null : m[1]
}

/** SHA-256 of the sorted list, one serial per line: anyone holding the list can check it. */
export function serialsDigest (serials: readonly string[]): string {
  return createHash('sha256').update([...serials].sort().join('\n')).digest('hex')
}

/** Inserts one entry with `db` (a transaction of the change it records, or the database). */
export async function insertAudit (db: Kysely<Database> | Transaction<Database>, at: Date, entry: AuditEntryInput): Promise<string> {
  const id = auditId(at)
  const serials = entry.serials
  const long = serials !== undefined && serials.length > AUDIT_INLINE_SERIALS
  await db.insertInto('audit_log').values({
    id,
    at: at.toISOString(),
    key_id: entry.keyId,
    action: entry.action,
    target: entry.target,
    result: entry.result,
    detail: entry.detail ?? null,
    server: entry.server ?? serverOf(entry.target),
    serial_count: serials?.length ?? null,
    serials: serials === undefined || long ? null : JSON.stringify(serials),
    serials_sha256: long ? serialsDigest(serials) : null,
    serials_ref: long ? `/v1/audit/${id}/serials` : null,
    finished_at: entry.result === PENDING ? null : at.toISOString()
  }).execute()
  if (long) await db.insertInto('audit_serials').values({ audit_id: id, serials: JSON.stringify(serials) }).execute()
  return id
}

function toEntry (r: Database['audit_log']): AuditEntry {
  const e: AuditEntry = { id: r.id, at: r.at, keyId: r.key_id, action: r.action, target: r.target, result: r.result }
  if (r.detail !== null) e.detail = r.detail
  if (r.server !== null) e.server = r.server
  if (r.serial_count !== null) e.serialCount = Number(r.serial_count)
  if (r.serials !== null) e.serials = JSON.parse(r.serials) as string[]
  if (r.serials_sha256 !== null) e.serialsSha256 = r.serials_sha256
  if (r.serials_ref !== null) e.serialsRef = r.serials_ref
  if (r.finished_at !== null) e.finishedAt = r.finished_at
  return e
}

export function createAuditRepository (db: Kysely<Database>, now: () => Date): AuditRepository {
  return {
    async record (entry) {
      const id = await db.transaction().execute(async (trx) => await insertAudit(trx, now(), entry))
      const row = await db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      return toEntry(row)
    },
    async attempt (entry) {
      return await db.transaction().execute(async (trx) => await insertAudit(trx, now(), { ...entry, result: PENDING }))
    },
    async finish (id, { result, detail }) {
      await db.updateTable('audit_log')
        .set({ result, finished_at: now().toISOString(), ...(detail === undefined ? {} : { detail }) })
        .where('id', '=', id).execute()
    },
    async list ({ limit = 100, target, keyId, action, server, since, until, before } = {}) {
      let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit)
      if (target !== undefined) q = q.where('target', '=', target)
      if (keyId !== undefined) q = q.where('key_id', '=', keyId)
      if (action !== undefined) q = q.where('action', '=', action)
      if (server !== undefined) {
        // Rows from before 0009 name their server in target only. Server names hold no LIKE wildcard (SERVER_NAME_PATTERN).
        q = q.where((eb) => eb.or([
          eb('server', '=', server),
          eb.and([eb('server', 'is', null), eb.or([eb('target', '=', `/v1/servers/${server}`), eb('target', 'like', `/v1/servers/${server}/%`)])])
        ]))
      }
      if (since !== undefined) q = q.where('at', '>=', since)
      if (until !== undefined) q = q.where('at', '<=', until)
      if (before !== undefined) q = q.where('id', '<', before)
      return (await q.execute()).map(toEntry)
    },
    async serials (id) {
      const row = await db.selectFrom('audit_log').leftJoin('audit_serials', 'audit_serials.audit_id', 'audit_log.id')
        .select(['audit_log.serials as inline', 'audit_serials.serials as kept']).where('audit_log.id', '=', id).executeTakeFirst()
      if (row === undefined) return undefined
      const list = row.kept ?? row.inline
      return list === null ? [] : JSON.parse(list) as string[]
    }
  }
}
