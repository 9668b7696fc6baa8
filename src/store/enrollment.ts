/**
 * Enrollment automation's tables (0010): named profiles with the history of the UUIDs Apple gave
 * each name, and each server's ordered assignment rules. Written once for SQLite and PostgreSQL.
 *
 * A rule names a profile, so a rule list may only name profiles that exist and a profile may not
 * go while a rule names it. Both writes check the other side inside their transaction, and both
 * touch the profile rows first (the rule write updates each named row in place, the deletion
 * deletes it): on PostgreSQL the second of two such transactions waits for the first and then sees
 * what it committed, so neither can slip past the other. SQLite runs one write at a time.
 */
import type { Kysely, Transaction } from 'kysely'
import { type AuditEntryInput, insertAudit } from './audit.js'
import type { Database } from './schema.js'

export interface NamedProfileVersion {
  profileUuid: string
  contentHash: string
  definedAt: string
}

export interface NamedProfileRecord {
  name: string
  /** The definition as stored (canonical JSON, parsed). */
  profile: Record<string, unknown>
  contentHash: string
  profileUuid: string
  definedAt: string
  createdAt: string
  /** Every UUID the name was given, newest first; the first is the current one. */
  history: NamedProfileVersion[]
}

/** What the store needs to know of a rule; the whole rule is kept as given (JSON). */
export interface StoredRule { readonly name: string, readonly profile: string }

export interface StoredRules {
  rules: StoredRule[]
  /** 0 before the first replacement; +1 at each. */
  revision: number
  updatedAt: string | null
}

/**
 * `'empty'`: the list may be replaced only while it is empty (the caller gave no If-Match);
 * `'any'`: whatever it holds now (`If-Match: *`, RFC 9110: the list always has a current version).
 */
export type ExpectedRevision = number | 'empty' | 'any'

export type RulesWrite =
  | { ok: true, revision: number, updatedAt: string }
  /** The list moved on since the caller read it (or is not empty, for 'empty'). */
  | { ok: false, conflict: StoredRules }
  /** Rules name profiles that do not exist (by rule index). */
  | { ok: false, missing: Array<{ index: number, profile: string }> }

export type ProfileDeletion = 'deleted' | 'not_found' | { usedBy: string[] }

export interface EnrollmentRepository {
  getProfile (server: string, name: string): Promise<NamedProfileRecord | undefined>
  /** By name. */
  listProfiles (server: string): Promise<NamedProfileRecord[]>
  /** Stores a (new) definition under `name` with the UUID Apple gave it; `created` when the name was new. */
  putProfile (server: string, name: string, input: { profile: string, contentHash: string, profileUuid: string }, audit?: AuditEntryInput): Promise<{ created: boolean, record: NamedProfileRecord }>
  deleteProfile (server: string, name: string, audit?: AuditEntryInput): Promise<ProfileDeletion>
  getRules (server: string): Promise<StoredRules>
  putRules (server: string, rules: StoredRule[], expected: ExpectedRevision, audit?: AuditEntryInput): Promise<RulesWrite>
}

/** A deleted server's named profiles, rules and assignment outbox go with it (in the deletion's transaction): a server added again under the name starts without them. */
export async function dropEnrollment (trx: Transaction<Database>, server: string): Promise<void> {
  for (const table of ['assignments', 'assignment_cursors', 'assignment_rules', 'enrollment_profile_versions', 'enrollment_profiles'] as const) {
    await trx.deleteFrom(table).where('server', '=', server).execute()
  }
}

/** Thrown inside a transaction to roll it back with an answer. */
class Rollback<T> extends Error {
  constructor (readonly answer: T) { super('rolled back') }
}

async function rollingBack<T> (work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (err instanceof Rollback) return err.answer as T
    throw err
  }
}

async function readRules (db: Kysely<Database> | Transaction<Database>, server: string): Promise<StoredRules> {
  const row = await db.selectFrom('assignment_rules').selectAll().where('server', '=', server).executeTakeFirst()
  if (row === undefined) return { rules: [], revision: 0, updatedAt: null }
  return { rules: JSON.parse(row.rules) as StoredRule[], revision: Number(row.revision), updatedAt: row.updated_at }
}

export function createEnrollmentRepository (db: Kysely<Database>, now: () => Date): EnrollmentRepository {
  async function profiles (db: Kysely<Database> | Transaction<Database>, server: string, name?: string): Promise<NamedProfileRecord[]> {
    let rows = db.selectFrom('enrollment_profiles').selectAll().where('server', '=', server).orderBy('name')
    let versions = db.selectFrom('enrollment_profile_versions').selectAll().where('server', '=', server).orderBy('defined_at', 'desc').orderBy('profile_uuid')
    if (name !== undefined) {
      rows = rows.where('name', '=', name)
      versions = versions.where('name', '=', name)
    }
    // Rows first, then their versions: a row is committed with its first version, so every row read
    // here has its versions by the second read, unless it was deleted in between; then it is left
    // out, as a read a moment later would. (Versions first could meet a row created after them.)
    const found = await rows.execute()
    const history = new Map<string, NamedProfileVersion[]>()
    for (const v of await versions.execute()) {
      const list = history.get(v.name) ?? []
      list.push({ profileUuid: v.profile_uuid, contentHash: v.content_hash, definedAt: v.defined_at })
      history.set(v.name, list)
    }
    return found.filter((r) => history.has(r.name)).map((r) => ({
      name: r.name,
      profile: JSON.parse(r.profile) as Record<string, unknown>,
      contentHash: r.content_hash,
      profileUuid: r.profile_uuid,
      definedAt: r.defined_at,
      createdAt: r.created_at,
      history: history.get(r.name) as NamedProfileVersion[]
    }))
  }

  return {
    async getProfile (server, name) {
      return (await profiles(db, server, name))[0]
    },
    async listProfiles (server) {
      return await profiles(db, server)
    },
    async putProfile (server, name, { profile, contentHash, profileUuid }, audit) {
      const at = now()
      const iso = at.toISOString()
      return await db.transaction().execute(async (trx) => {
        // Inserted first: two replicas creating one name at once both get here, and on PostgreSQL
        // the second insert waits for the first to commit and then does nothing: it updates instead.
        const inserted = await trx.insertInto('enrollment_profiles')
          .values({ server, name, profile, content_hash: contentHash, profile_uuid: profileUuid, defined_at: iso, created_at: iso })
          .onConflict((oc) => oc.columns(['server', 'name']).doNothing())
          .returning('name')
          .executeTakeFirst()
        const created = inserted !== undefined
        if (!created) {
          await trx.updateTable('enrollment_profiles')
            .set({ profile, content_hash: contentHash, profile_uuid: profileUuid, defined_at: iso })
            .where('server', '=', server).where('name', '=', name).execute()
        }
        await trx.insertInto('enrollment_profile_versions')
          .values({ server, name, profile_uuid: profileUuid, content_hash: contentHash, defined_at: iso })
          .execute()
        if (audit !== undefined) await insertAudit(trx, at, audit)
        const [record] = await profiles(trx, server, name)
        return { created, record }
      })
    },
    async deleteProfile (server, name, audit) {
      const at = now()
      return await rollingBack(db.transaction().execute(async (trx): Promise<ProfileDeletion> => {
        const deleted = await trx.deleteFrom('enrollment_profiles').where('server', '=', server).where('name', '=', name).executeTakeFirst()
        if (deleted.numDeletedRows === 0n) return 'not_found'
        const usedBy = (await readRules(trx, server)).rules.filter((r) => r.profile === name).map((r) => r.name)
        if (usedBy.length > 0) throw new Rollback<ProfileDeletion>({ usedBy })
        await trx.deleteFrom('enrollment_profile_versions').where('server', '=', server).where('name', '=', name).execute()
        if (audit !== undefined) await insertAudit(trx, at, audit)
        return 'deleted'
      }))
    },
    async getRules (server) {
      return await readRules(db, server)
    },
    async putRules (server, rules, expected, audit) {
      const at = now()
      const iso = at.toISOString()
      return await rollingBack(db.transaction().execute(async (trx): Promise<RulesWrite> => {
        // Each named profile's row is updated in place: it must exist, and it stays until this commits.
        // In name order, whatever order the rules name them: two editors locking [A, B] and [B, A]
        // would otherwise each hold one row and wait for the other (PostgreSQL: deadlock, 40P01).
        const present = new Set<string>()
        for (const name of [...new Set(rules.map((r) => r.profile))].sort()) {
          const touched = await trx.updateTable('enrollment_profiles').set((eb) => ({ name: eb.ref('name') }))
            .where('server', '=', server).where('name', '=', name).executeTakeFirst()
          if (touched.numUpdatedRows > 0n) present.add(name)
        }
        const missing = [...rules.entries()].filter(([, rule]) => !present.has(rule.profile)).map(([index, rule]) => ({ index, profile: rule.profile }))
        if (missing.length > 0) throw new Rollback<RulesWrite>({ ok: false, missing })
        await trx.insertInto('assignment_rules').values({ server, rules: '[]', revision: 0, updated_at: null })
          .onConflict((oc) => oc.column('server').doNothing()).execute()
        let update = trx.updateTable('assignment_rules')
          .set((eb) => ({ rules: JSON.stringify(rules), revision: eb('revision', '+', 1), updated_at: iso }))
          .where('server', '=', server)
        if (expected === 'empty') update = update.where('rules', '=', '[]')
        else if (expected !== 'any') update = update.where('revision', '=', expected)
        const done = await update.returning('revision').executeTakeFirst()
        if (done === undefined) throw new Rollback<RulesWrite>({ ok: false, conflict: await readRules(trx, server) })
        if (audit !== undefined) await insertAudit(trx, at, audit)
        return { ok: true, revision: Number(done.revision), updatedAt: iso }
      }))
    }
  }
}
