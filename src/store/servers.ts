/**
 * DEP servers and their key pairs. Secrets (the token's OAuth values, private keys) are sealed
 * with the secret box before they reach the database and opened after they leave it, with the
 * server name as additional data so a sealed value cannot be moved to another row. The box is
 * given by whoever opens the store (createStore's `secretBox`: start, CLI, the app): the
 * repository stays plain Kysely, the same on every dialect, and refuses to touch a secret without one.
 */
import type { Kysely, Transaction } from 'kysely'
import type { ServerToken } from '../dep/token.js'
import { isTokenError } from '../tokens/errors.js'
import { sealedKeyId, type SecretBox } from '../tokens/secret-box.js'
import { type AuditEntryInput, insertAudit } from './audit.js'
import { dropEnrollment } from './enrollment.js'
import { dropMirrors } from './mirror-drop.js'
import { checkSecretKey, keyAad, rotateSecrets, sealLegacyTokens, type SecretKeyCheck, tokenAad } from './secret-sealing.js'
import { accountValues, type OrgLink, orgLinkOf, orgLinkValues, type OrgLinkWrite, writeOrgLink } from './server-org-link.js'
import type { Database, ServersTable } from './schema.js'

export type { SecretKeyCheck } from './secret-sealing.js'
export type { OrgLink, OrgLinkWrite } from './server-org-link.js'

export interface AccountIdentity {
  serverUuid?: string
  serverName?: string
  orgName?: string
  checkedAt: string
}

export interface ServerRecord {
  name: string
  token: ServerToken
  baseUrl?: string
  createdAt: string
  updatedAt: string
  account?: AccountIdentity
  termsNotSignedAt?: string
  lastError?: { code: string, at: string }
  /** The Apple Business / School Manager org this server belongs to, and its MDM server id there. */
  orgLink?: OrgLink
  /**
   * Set when the token is sealed with another key than the installed one (a replica still running
   * with the previous key after a rotation wrote it): `token` is then empty, and the server reports
   * the code instead of taking every other server down with it. `keyId` is the sealing key's short id.
   */
  unreadable?: { code: 'SECRET_BOX_WRONG_KEY', keyId: string }
}

/** What stands in for a token no key here opens: no secret, no request to Apple can be made with it. */
const NO_TOKEN: ServerToken = { consumer_key: '', consumer_secret: '', access_token: '', access_secret: '' }

export interface KeyPairPem { privateKeyPem: string, certificatePem: string }

export interface ServerKeys {
  current?: KeyPairPem
  staged?: KeyPairPem & { stagedAt: string }
}

/** The audit row of an upsert, built once it is known whether the server was created. */
export type ServerAudit = (created: boolean) => AuditEntryInput

export interface ServerHealthUpdate {
  termsNotSignedAt?: string | null
  lastError?: { code: string, at: string } | null
}

export interface ServerRepository {
  /**
   * Compares a box's key (the store's own by default) with the one the database's secrets are
   * sealed with. The first time (a new database, or one from before 0006) the key must open a
   * secret already stored, if there is one, and is then recorded. Never throws for another key: says so.
   */
  checkSecretKey (other?: SecretBox): Promise<SecretKeyCheck>
  list (): Promise<ServerRecord[]>
  get (name: string): Promise<ServerRecord | undefined>
  /**
   * Creates or replaces; `created` tells which (PUT answers 201 or 200). With `promoteStagedKey`
   * the staged key pair becomes the current one in the same transaction (a .p7m it opened).
   */
  upsert (input: { name: string, token: ServerToken, baseUrl?: string, account?: AccountIdentity, promoteStagedKey?: boolean, audit?: ServerAudit, orgLink?: OrgLink | null }): Promise<{ record: ServerRecord, created: boolean }>
  /** Deletes the server, its key pairs and its device mirror (mirror-drop.ts); `audit` is written with a deletion, in its transaction. */
  delete (name: string, audit?: AuditEntryInput): Promise<boolean>
  /** Links the server to its org (null unlinks), nothing else changed; undefined when the server does not exist. `orgLink` left out of an upsert keeps the link. */
  setOrgLink (name: string, write: OrgLinkWrite): Promise<ServerRecord | undefined>
  /** Terms state and last error; false when the server does not exist. */
  setHealth (name: string, update: ServerHealthUpdate): Promise<boolean>
  getKeys (name: string): Promise<ServerKeys>
  /** Stores a new staged key pair (replacing a previous staged one); the current pair is untouched. */
  stageKey (name: string, pair: KeyPairPem, audit?: AuditEntryInput): Promise<void>
  /** Seals tokens still stored in clear by 0001; returns how many rows it sealed. */
  sealLegacyTokens (): Promise<number>
  /**
   * Re-seals every secret from oldBox to newBox and records newBox's key check; rows already under
   * newBox are skipped (a re-run). Refuses (SECRET_BOX_WRONG_KEY) a database whose key is neither.
   * Returns the number of values re-sealed.
   */
  rotateSecrets (oldBox: SecretBox, newBox: SecretBox): Promise<number>
  /** Sync leases held now (a replica is running), for `depgate secrets rotate` to refuse. */
  liveSyncLeases (): Promise<Array<{ server: string, owner: string, expiresAt: string }>>
}

/** What POST …/sync records: the replica that syncs the server runs a full fetch at its next tick. */
async function requestFullSync (trx: Transaction<Database>, name: string, at: string): Promise<void> {
  await trx.updateTable('inventory_state').set({ requested_at: at, requested_full: 1 }).where('server', '=', name).execute()
}

function account (row: ServersTable): AccountIdentity | undefined {
  if (row.account_checked_at === null) return undefined
  const a: AccountIdentity = { checkedAt: row.account_checked_at }
  if (row.account_server_uuid !== null) a.serverUuid = row.account_server_uuid
  if (row.account_server_name !== null) a.serverName = row.account_server_name
  if (row.account_org_name !== null) a.orgName = row.account_org_name
  return a
}

export function createServerRepository (db: Kysely<Database>, now: () => Date, box?: SecretBox): ServerRepository {
  function needBox (): SecretBox {
    if (box === undefined) throw new Error('the secret box is not configured: server tokens cannot be sealed or opened')
    return box
  }

  /** The row's token, or why the installed key cannot open it. */
  function openToken (row: ServersTable): { token: ServerToken, unreadable?: ServerRecord['unreadable'] } {
    if (row.token_sealed === null) return { token: JSON.parse(row.token) as ServerToken }
    try {
      return { token: JSON.parse(needBox().open(row.token_sealed, tokenAad(row.name))) as ServerToken }
    } catch (err) {
      // Another key, not a tampered value: that error still goes up.
      if (!isTokenError(err, 'SECRET_BOX_WRONG_KEY')) throw err
      return { token: NO_TOKEN, unreadable: { code: 'SECRET_BOX_WRONG_KEY', keyId: sealedKeyId(row.token_sealed) } }
    }
  }

  function toRecord (row: ServersTable): ServerRecord {
    const { token, unreadable } = openToken(row)
    const r: ServerRecord = { name: row.name, token, createdAt: row.created_at, updatedAt: row.updated_at }
    if (unreadable !== undefined) r.unreadable = unreadable
    if (row.base_url !== null) r.baseUrl = row.base_url
    const a = account(row)
    if (a !== undefined) r.account = a
    if (row.terms_not_signed_at !== null) r.termsNotSignedAt = row.terms_not_signed_at
    if (row.last_error !== null && row.last_error_at !== null) r.lastError = { code: row.last_error, at: row.last_error_at }
    const link = orgLinkOf(row)
    if (link !== undefined) r.orgLink = link
    return r
  }

  return {
    checkSecretKey: async (other) => await checkSecretKey(db, other ?? needBox(), now),
    async list () {
      const rows = await db.selectFrom('servers').selectAll().orderBy('name').execute()
      return rows.map(toRecord)
    },
    async get (name) {
      const row = await db.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirst()
      return row === undefined ? undefined : toRecord(row)
    },
    async upsert ({ name, token, baseUrl, account, promoteStagedKey = false, audit, orgLink }) {
      const sealed = needBox().seal(JSON.stringify(token), tokenAad(name))
      const when = now()
      const at = when.toISOString()
      // A transaction keeps "did it exist", the write and the key promotion together.
      return await db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirst()
        const values = {
          token: '',
          token_sealed: sealed,
          token_expires_at: token.access_token_expiry ?? null,
          base_url: baseUrl ?? null,
          updated_at: at,
          // A new token starts with a clean slate: the old token's terms and errors were about it.
          terms_not_signed_at: null,
          last_error: null,
          last_error_at: null,
          // An unchecked token says nothing about whose it is: the previous token's identity must not linger.
          ...accountValues(account),
          // A renewed token keeps the server's org unless the caller says otherwise.
          ...(orgLink === undefined ? {} : orgLinkValues(orgLink))
        }
        let row: ServersTable
        if (existing === undefined) {
          row = { name, created_at: at, ...orgLinkValues(null), ...values }
          await trx.insertInto('servers').values(row).execute()
          // Added again under a deleted server's name: the syncer a replica may still run for the
          // name (it looks at the list every third of a lease) fetches the new mirror at once
          // instead of at its old schedule. A new name has no state row: nothing to do.
          await requestFullSync(trx, name, at)
        } else {
          row = { ...existing, ...values }
          await trx.updateTable('servers').set(values).where('name', '=', name).execute()
          // A token of another MDM server in Apple's books: the mirror holds the old server's
          // devices and its cursors mean nothing to the new one. Start again, as after a delete.
          const before = existing.account_server_uuid
          if (before !== null && values.account_server_uuid !== null && before !== values.account_server_uuid) {
            await dropMirrors(trx, [name])
            await requestFullSync(trx, name, at)
          }
        }
        if (promoteStagedKey) {
          const keys = await trx.selectFrom('server_keys').selectAll().where('server', '=', name).executeTakeFirst()
          if (keys?.staged_key != null) {
            await trx.updateTable('server_keys')
              .set({ current_key: keys.staged_key, current_cert: keys.staged_cert, staged_key: null, staged_cert: null, staged_at: null, updated_at: at })
              .where('server', '=', name).execute()
          }
        }
        if (audit !== undefined) await insertAudit(trx, when, audit(existing === undefined))
        return { record: toRecord(row), created: existing === undefined }
      })
    },
    async delete (name, audit) {
      return await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('server_keys').where('server', '=', name).execute()
        // In the same transaction, not at the syncers' next look at the list: a server added again
        // under this name before then would otherwise inherit the old mirror and cursor.
        await dropMirrors(trx, [name])
        await dropEnrollment(trx, name)
        const res = await trx.deleteFrom('servers').where('name', '=', name).executeTakeFirst()
        const deleted = res.numDeletedRows > 0n
        if (deleted && audit !== undefined) await insertAudit(trx, now(), audit)
        return deleted
      })
    },
    async setOrgLink (name, write) {
      const row = await writeOrgLink(db, now(), name, write)
      return row === undefined ? undefined : toRecord(row)
    },
    async setHealth (name, update) {
      const values: Partial<ServersTable> = {}
      if (update.termsNotSignedAt !== undefined) values.terms_not_signed_at = update.termsNotSignedAt
      if (update.lastError !== undefined) {
        values.last_error = update.lastError?.code ?? null
        values.last_error_at = update.lastError?.at ?? null
      }
      const res = await db.updateTable('servers').set(values).where('name', '=', name).executeTakeFirst()
      return res.numUpdatedRows > 0n
    },
    async getKeys (name) {
      const row = await db.selectFrom('server_keys').selectAll().where('server', '=', name).executeTakeFirst()
      const keys: ServerKeys = {}
      if (row === undefined) return keys
      const b = needBox()
      if (row.current_key !== null && row.current_cert !== null) {
        keys.current = { privateKeyPem: b.open(row.current_key, keyAad(name)), certificatePem: row.current_cert }
      }
      if (row.staged_key !== null && row.staged_cert !== null && row.staged_at !== null) {
        keys.staged = { privateKeyPem: b.open(row.staged_key, keyAad(name)), certificatePem: row.staged_cert, stagedAt: row.staged_at }
      }
      return keys
    },
    async stageKey (name, pair, audit) {
      const when = now()
      const at = when.toISOString()
      const staged = { staged_key: needBox().seal(pair.privateKeyPem, keyAad(name)), staged_cert: pair.certificatePem, staged_at: at, updated_at: at }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('server_keys').values({ server: name, current_key: null, current_cert: null, ...staged })
          .onConflict((oc) => oc.column('server').doUpdateSet(staged)).execute()
        if (audit !== undefined) await insertAudit(trx, when, audit)
      })
    },
    sealLegacyTokens: async () => await sealLegacyTokens(db, needBox()),
    rotateSecrets: async (oldBox, newBox) => await rotateSecrets(db, oldBox, newBox, now),
    async liveSyncLeases () {
      const rows = await db.selectFrom('inventory_state').select(['server', 'lease_owner', 'lease_expires_at'])
        .where('lease_owner', 'is not', null).where('lease_expires_at', '>', now().toISOString()).orderBy('server').execute()
      return rows.map((r) => ({ server: r.server, owner: r.lease_owner!, expiresAt: r.lease_expires_at! }))
    }
  }
}
