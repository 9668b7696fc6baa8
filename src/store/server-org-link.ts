/**
 * The link from a DEP server to its Apple Business / School Manager org (0015's `servers.org` and
 * `servers.org_mdm_server`): which org's mirror a device of this server is looked up in, and which
 * of the org's MDM servers this DEP server is. Kept beside servers.ts, which writes the link with
 * a token (PUT), while this writes it alone (PATCH).
 */
import type { Kysely } from 'kysely'
import { type AuditEntryInput, insertAudit } from './audit.js'
import type { Database, ServersTable } from './schema.js'
import type { AccountIdentity } from './servers.js'

export interface OrgLink {
  org: string
  /** This DEP server's id among the org's MDM servers. */
  mdmServer: string
}

/** The row's link; a row naming an org without the MDM server's id (written by hand) counts as unlinked. */
export function orgLinkOf (row: Pick<ServersTable, 'org' | 'org_mdm_server'>): OrgLink | undefined {
  return row.org !== null && row.org_mdm_server !== null ? { org: row.org, mdmServer: row.org_mdm_server } : undefined
}

export function orgLinkValues (link: OrgLink | null): Pick<ServersTable, 'org' | 'org_mdm_server'> {
  return { org: link?.org ?? null, org_mdm_server: link?.mdmServer ?? null }
}

/** The account columns of an identity just read from Apple's /account. */
export function accountValues (account: AccountIdentity | undefined): Pick<ServersTable, 'account_server_uuid' | 'account_server_name' | 'account_org_name' | 'account_checked_at'> {
  return {
    account_server_uuid: account?.serverUuid ?? null,
    account_server_name: account?.serverName ?? null,
    account_org_name: account?.orgName ?? null,
    account_checked_at: account?.checkedAt ?? null
  }
}

export interface OrgLinkWrite {
  link: OrgLink | null
  /** The identity Apple's /account gave while the link was resolved (stored with it), if it was asked. */
  account?: AccountIdentity
  audit?: AuditEntryInput
}

/** Links (or unlinks) the server, with its audit row, in one transaction; the updated row, or undefined when there is no such server. */
export async function writeOrgLink (db: Kysely<Database>, when: Date, name: string, write: OrgLinkWrite): Promise<ServersTable | undefined> {
  const values: Partial<ServersTable> = { ...orgLinkValues(write.link), updated_at: when.toISOString() }
  if (write.account !== undefined) Object.assign(values, accountValues(write.account))
  return await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable('servers').set(values).where('name', '=', name).returningAll().executeTakeFirst()
    if (row !== undefined && write.audit !== undefined) await insertAudit(trx, when, write.audit)
    return row
  })
}
