/**
 * One lease row per key (a server's sync, an org's refresh, the webhook delivery loop): whoever
 * holds an unexpired lease is the only replica doing that work. Callers make sure the row exists
 * before acquiring; fencing writes against a lost lease stays with each caller.
 */
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface LeaseOps {
  /** Takes or renews the lease when it is free, ours or expired. */
  acquire (key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Extends the lease only while this owner still holds it (never takes it back). */
  renew (key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Gives the lease up so another replica need not wait for it to expire. */
  release (key: string, owner: string): Promise<void>
}

export interface LeaseColumns {
  owner: string
  expires: string
}

const LEASE_COLUMNS: LeaseColumns = { owner: 'lease_owner', expires: 'lease_expires_at' }

export function leaseOps<T extends keyof Database> (
  typed: Kysely<Database>, table: T, keyColumn: string & keyof Database[T], now: () => Date,
  columns: LeaseColumns = LEASE_COLUMNS
): LeaseOps {
  // The table and columns are checked against the schema by the signature; Kysely cannot follow
  // a column chosen by a parameter through its builders, so the queries themselves are untyped.
  const db = typed as unknown as Kysely<{ lease: Record<string, string | null> }>
  const row = table as 'lease'
  const iso = (offsetMs = 0): string => new Date(now().getTime() + offsetMs).toISOString()
  const { owner: ownerCol, expires } = columns
  const keyCol: string = keyColumn
  return {
    async acquire (key, owner, ttlMs) {
      const at = iso()
      const taken = await db.updateTable(row).set({ [ownerCol]: owner, [expires]: iso(ttlMs) })
        .where(keyCol, '=', key)
        .where((eb) => eb.or([eb(ownerCol, 'is', null), eb(ownerCol, '=', owner), eb(expires, '<', at)]))
        .executeTakeFirst()
      return taken.numUpdatedRows > 0n
    },
    async renew (key, owner, ttlMs) {
      const renewed = await db.updateTable(row).set({ [expires]: iso(ttlMs) })
        .where(keyCol, '=', key).where(ownerCol, '=', owner).executeTakeFirst()
      return renewed.numUpdatedRows > 0n
    },
    async release (key, owner) {
      await db.updateTable(row).set({ [ownerCol]: null, [expires]: null })
        .where(keyCol, '=', key).where(ownerCol, '=', owner).execute()
    }
  }
}
