import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface AuditEntryInput {
  /** The API key id that acted (`bootstrap` for DEPGATE_ADMIN_KEY, `cli` for the command line). */
  keyId: string | null
  /** Dotted verb, e.g. `server.put`, `key.create`, `profile.assign`. */
  action: string
  /** What was acted on, e.g. `/v1/servers/default`, `/v1/keys/0a1b2c3d4e5f`. */
  target: string
  /** `ok`, or the problem code that stopped it. */
  result: string
  /** A short non-secret note (counts, profile uuid…). */
  detail?: string
}

export interface AuditEntry extends AuditEntryInput {
  id: string
  at: string
}

export interface AuditRepository {
  record (entry: AuditEntryInput): Promise<AuditEntry>
  /** Newest first. */
  list (opts?: { limit?: number, target?: string }): Promise<AuditEntry[]>
}

let seq = 0
/** Sortable within a process: millisecond time, then a counter, then randomness against other replicas. */
function auditId (at: Date): string {
  seq = (seq + 1) % 0x100000
  return `${at.getTime().toString(36).padStart(9, '0')}-${seq.toString(36).padStart(4, '0')}-${randomBytes(4).toString('hex')}`
}

export function createAuditRepository (db: Kysely<Database>, now: () => Date): AuditRepository {
  return {
    async record (entry) {
      const at = now()
      const row = {
        id: auditId(at),
        at: at.toISOString(),
        key_id: entry.keyId,
        action: entry.action,
        target: entry.target,
        result: entry.result,
        detail: entry.detail ?? null
      }
      await db.insertInto('audit_log').values(row).execute()
      return { ...entry, id: row.id, at: row.at }
    },
    async list ({ limit = 100, target } = {}) {
      let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit)
      if (target !== undefined) q = q.where('target', '=', target)
      const rows = await q.execute()
      return rows.map((r) => {
        const e: AuditEntry = { id: r.id, at: r.at, keyId: r.key_id, action: r.action, target: r.target, result: r.result }
        if (r.detail !== null) e.detail = r.detail
        return e
      })
    }
  }
}
