/**
 * Apple Business / School Manager organisations: the API account (client id, key id, the private
 * key) and the state of its access token (times only: the token itself stays in the memory of the
 * client that got it). The private key is sealed with the secret box before it reaches the
 * database, with the org name in the additional data so a sealed value cannot be moved to another
 * row (as servers.ts does for DEP tokens).
 */
import type { Kysely } from 'kysely'
import type { SecretBox } from '../tokens/secret-box.js'
import { type AuditEntryInput, insertAudit } from './audit.js'
import { dropOrgMirror } from './org-mirror.js'
import type { Database, OrgsTable } from './schema.js'

export const orgKeyAad = (name: string): string => `depgate org key\0${name}`

/** What an org is stored from: the API account as Apple Business Manager shows it. */
export interface OrgInput {
  clientId: string
  keyId: string
  privateKeyPem: string
  baseUrl?: string
  tokenUrl?: string
  scope: string
}

/** An org without its secrets: what lists and answers are built from. */
export interface OrgInfo {
  name: string
  clientId: string
  keyId: string
  scope: string
  baseUrl?: string
  tokenUrl?: string
  tokenExpiresAt?: string
  tokenCheckedAt?: string
  lastError?: { code: string, at: string }
  createdAt: string
  updatedAt: string
}

export interface OrgRecord extends OrgInfo {
  privateKeyPem: string
}

export interface OrgRepository {
  list (): Promise<OrgInfo[]>
  info (name: string): Promise<OrgInfo | undefined>
  /** The org with its private key opened: for the one who calls Apple, never for an answer. */
  get (name: string): Promise<OrgRecord | undefined>
  /** Creates or replaces; a replaced account forgets the old account's token and errors. */
  upsert (name: string, input: OrgInput, audit?: (created: boolean) => AuditEntryInput): Promise<{ info: OrgInfo, created: boolean }>
  /** Deletes the org and its mirror; false when there was none. */
  delete (name: string, audit?: AuditEntryInput): Promise<boolean>
  /** When the access token Apple last gave expires (a successful token request clears the last error). */
  recordToken (name: string, expiresAt: string): Promise<void>
  /** The last failure talking to Apple for this org (null clears it). */
  setError (name: string, error: { code: string, at: string } | null): Promise<void>
}

function info (row: OrgsTable): OrgInfo {
  const i: OrgInfo = { name: row.name, clientId: row.client_id, keyId: row.key_id, scope: row.scope, createdAt: row.created_at, updatedAt: row.updated_at }
  if (row.base_url !== null) i.baseUrl = row.base_url
  if (row.token_url !== null) i.tokenUrl = row.token_url
  if (row.token_expires_at !== null) i.tokenExpiresAt = row.token_expires_at
  if (row.token_checked_at !== null) i.tokenCheckedAt = row.token_checked_at
  if (row.last_error !== null && row.last_error_at !== null) i.lastError = { code: row.last_error, at: row.last_error_at }
  return i
}

export function createOrgRepository (db: Kysely<Database>, now: () => Date, box?: SecretBox): OrgRepository {
  function needBox (): SecretBox {
    if (box === undefined) throw new Error('the secret box is not configured: org keys cannot be sealed or opened')
    return box
  }
  const row = async (name: string): Promise<OrgsTable | undefined> =>
    await db.selectFrom('orgs').selectAll().where('name', '=', name).executeTakeFirst()

  return {
    async list () {
      return (await db.selectFrom('orgs').selectAll().orderBy('name').execute()).map(info)
    },
    async info (name) {
      const r = await row(name)
      return r === undefined ? undefined : info(r)
    },
    async get (name) {
      const r = await row(name)
      return r === undefined ? undefined : { ...info(r), privateKeyPem: needBox().open(r.private_key_sealed, orgKeyAad(name)) }
    },
    async upsert (name, input, audit) {
      const sealed = needBox().seal(input.privateKeyPem, orgKeyAad(name))
      const when = now()
      const at = when.toISOString()
      return await db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('orgs').select('created_at').where('name', '=', name).executeTakeFirst()
        const values = {
          client_id: input.clientId,
          key_id: input.keyId,
          private_key_sealed: sealed,
          base_url: input.baseUrl ?? null,
          token_url: input.tokenUrl ?? null,
          scope: input.scope,
          // The previous account's token state says nothing about this one.
          token_expires_at: null,
          token_checked_at: null,
          last_error: null,
          last_error_at: null,
          updated_at: at
        }
        const r: OrgsTable = { name, created_at: existing?.created_at ?? at, ...values }
        if (existing === undefined) await trx.insertInto('orgs').values(r).execute()
        else await trx.updateTable('orgs').set(values).where('name', '=', name).execute()
        if (audit !== undefined) await insertAudit(trx, when, audit(existing === undefined))
        return { info: info(r), created: existing === undefined }
      })
    },
    async delete (name, audit) {
      return await db.transaction().execute(async (trx) => {
        await dropOrgMirror(trx, name)
        const res = await trx.deleteFrom('orgs').where('name', '=', name).executeTakeFirst()
        const deleted = res.numDeletedRows > 0n
        if (deleted && audit !== undefined) await insertAudit(trx, now(), audit)
        return deleted
      })
    },
    async recordToken (name, expiresAt) {
      await db.updateTable('orgs').set({ token_expires_at: expiresAt, token_checked_at: now().toISOString(), last_error: null, last_error_at: null })
        .where('name', '=', name).execute()
    },
    async setError (name, error) {
      await db.updateTable('orgs').set({ last_error: error?.code ?? null, last_error_at: error?.at ?? null }).where('name', '=', name).execute()
    }
  }
}
