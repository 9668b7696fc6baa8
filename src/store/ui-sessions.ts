/**
 * Dashboard sessions: a browser signs in once with an API key and then carries a random cookie.
 * Only the cookie's SHA-256 is stored, so a copy of the database opens no session. A session is
 * as good as its key: the key's record is checked on every use (src/ui/sessions.ts), so revoking
 * the key ends its sessions wherever they are.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface UiSessionRecord {
  keyId: string
  createdAt: string
  expiresAt: string
}

export interface UiSessionRepository {
  /** A new session for the key, ending at `expiresAt`; the cookie value is returned once and kept nowhere. */
  create (keyId: string, expiresAt: Date): Promise<{ cookie: string, record: UiSessionRecord }>
  /** The session a cookie opens, if it exists and has not ended. */
  get (cookie: string): Promise<UiSessionRecord | undefined>
  /** Logout: the row is deleted, the cookie opens nothing any more. */
  delete (cookie: string): Promise<void>
  /** Deletes the sessions that have ended (at sign-in: the table stays the size of the live sessions). */
  deleteEnded (): Promise<void>
}

const hashCookie = (cookie: string): string => createHash('sha256').update(cookie).digest('base64url')

export function createUiSessionRepository (db: Kysely<Database>, now: () => Date): UiSessionRepository {
  return {
    async create (keyId, expiresAt) {
      const cookie = randomBytes(32).toString('base64url')
      const record = { keyId, createdAt: now().toISOString(), expiresAt: expiresAt.toISOString() }
      await db.insertInto('ui_sessions').values({ id_hash: hashCookie(cookie), key_id: keyId, created_at: record.createdAt, expires_at: record.expiresAt }).execute()
      return { cookie, record }
    },
    async get (cookie) {
      const row = await db.selectFrom('ui_sessions').selectAll().where('id_hash', '=', hashCookie(cookie))
        .where('expires_at', '>', now().toISOString()).executeTakeFirst()
      return row === undefined ? undefined : { keyId: row.key_id, createdAt: row.created_at, expiresAt: row.expires_at }
    },
    async delete (cookie) {
      await db.deleteFrom('ui_sessions').where('id_hash', '=', hashCookie(cookie)).execute()
    },
    async deleteEnded () {
      await db.deleteFrom('ui_sessions').where('expires_at', '<=', now().toISOString()).execute()
    }
  }
}
