import type { Kysely } from 'kysely'
import type { Scope } from '../scopes.js'
import { type AuditEntryInput, insertAudit } from './audit.js'
import type { Database } from './schema.js'

export interface ApiKeyRecord {
  id: string
  label: string
  scope: Scope
  createdAt: string
  lastUsedAt?: string
  revokedAt?: string
}

export interface ApiKeyRepository {
  /** With `audit`, its row is written in the same transaction as the key. */
  create (input: { id: string, label: string, scope: Scope, hash: string }, audit?: AuditEntryInput): Promise<ApiKeyRecord>
  /** The record plus its hash, for authentication only; never serialise the result. */
  getForAuth (id: string): Promise<(ApiKeyRecord & { hash: string }) | undefined>
  /**
   * What `getForAuth` would answer from its cache, without a promise; undefined when it would have
   * to read the database. Lets the auth hook stay synchronous on the common path.
   */
  peekForAuth (id: string): (ApiKeyRecord & { hash: string }) | undefined
  get (id: string): Promise<ApiKeyRecord | undefined>
  list (opts?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>
  /** Marks the key revoked; false when it does not exist or was already revoked. `audit` is written with a revocation, in its transaction. */
  revoke (id: string, audit?: AuditEntryInput): Promise<boolean>
  touch (id: string, at: Date): Promise<void>
  countActive (scope?: Scope): Promise<number>
}

function toRecord (row: Omit<Database['api_keys'], 'hash'>): ApiKeyRecord {
  const r: ApiKeyRecord = { id: row.id, label: row.label, scope: row.scope as Scope, createdAt: row.created_at }
  if (row.last_used_at !== null) r.lastUsedAt = row.last_used_at
  if (row.revoked_at !== null) r.revokedAt = row.revoked_at
  return r
}

const PUBLIC_COLUMNS = ['id', 'label', 'scope', 'created_at', 'last_used_at', 'revoked_at'] as const

/**
 * How long `getForAuth` may answer from memory. Every authenticated request needs the key's
 * record; reading it from the database each time costs more than the rest of the auth hook.
 * A revocation or creation through this process drops the entry at once; one made elsewhere (the
 * CLI, another replica) takes effect within this many milliseconds.
 */
export const AUTH_CACHE_TTL_MS = 5_000
/** Only keys that exist are cached, so unknown ids cannot grow it; the bound is for huge key sets. */
export const AUTH_CACHE_MAX = 10_000

export interface AuthCacheOptions { ttlMs?: number, max?: number }

type AuthRecord = ApiKeyRecord & { hash: string }

export function createApiKeyRepository (db: Kysely<Database>, now: () => Date, cache: AuthCacheOptions = {}): ApiKeyRepository {
  const ttl = cache.ttlMs ?? AUTH_CACHE_TTL_MS
  const max = cache.max ?? AUTH_CACHE_MAX
  const authCache = new Map<string, { record: AuthRecord, expires: number }>()
  // Bumped by every create/revoke: a read that started before one must not cache what it read.
  let generation = 0
  const forget = (id: string): void => {
    generation++
    authCache.delete(id)
  }
  return {
    async create ({ id, label, scope, hash }, audit) {
      const at = now()
      const row = { id, label, scope, hash, created_at: at.toISOString(), last_used_at: null, revoked_at: null }
      forget(id)
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('api_keys').values(row).execute()
        if (audit !== undefined) await insertAudit(trx, at, audit)
      })
      return toRecord(row)
    },
    peekForAuth (id) {
      const hit = authCache.get(id)
      return hit !== undefined && hit.expires > now().getTime() ? hit.record : undefined
    },
    async getForAuth (id) {
      const t = now().getTime()
      const hit = authCache.get(id)
      if (hit !== undefined && hit.expires > t) return hit.record
      authCache.delete(id)
      const seen = generation
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
      if (row === undefined) return undefined
      const record = { ...toRecord(row), hash: row.hash }
      if (ttl > 0 && seen === generation) {
        // Map order is insertion order: the first entry is the oldest.
        if (authCache.size >= max) authCache.delete(authCache.keys().next().value as string)
        authCache.set(id, { record, expires: t + ttl })
      }
      return record
    },
    async get (id) {
      const row = await db.selectFrom('api_keys').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst()
      return row === undefined ? undefined : toRecord(row)
    },
    async list ({ includeRevoked = true } = {}) {
      let q = db.selectFrom('api_keys').select(PUBLIC_COLUMNS).orderBy('created_at').orderBy('id')
      if (!includeRevoked) q = q.where('revoked_at', 'is', null)
      return (await q.execute()).map(toRecord)
    },
    async revoke (id, audit) {
      forget(id)
      const at = now()
      const revoked = await db.transaction().execute(async (trx) => {
        const res = await trx.updateTable('api_keys').set({ revoked_at: at.toISOString() })
          .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
        if (res.numUpdatedRows === 0n) return false
        if (audit !== undefined) await insertAudit(trx, at, audit)
        return true
      })
      forget(id)
      return revoked
    },
    async touch (id, at) {
      await db.updateTable('api_keys').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute()
    },
    async countActive (scope) {
      let q = db.selectFrom('api_keys').select((eb) => eb.fn.countAll<string | number>().as('n')).where('revoked_at', 'is', null)
      if (scope !== undefined) q = q.where('scope', '=', scope)
      const row = await q.executeTakeFirstOrThrow()
      return Number(row.n)
    }
  }
}
