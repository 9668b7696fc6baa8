/**
 * Storing an organisation's API account (docs/apple-axm.md §1), once for every way in:
 * `PUT /v1/orgs/{org}` and `depgate org import`. The scope follows from the client id, the key
 * must load (either PEM form Apple has shipped), and unless `verify` is false the account is proved
 * by getting an access token with it before anything is stored, so a typo in the client id or the
 * wrong `.pem` is answered at once instead of at the next refresh. Refusals are problems whose
 * detail a Mac admin can act on; none carries the key.
 */
import { AxmError, loadPrivateKey, scopeOf } from '../axm/index.js'
import { httpProblem } from '../problems.js'
import type { AuditEntryInput } from '../store/audit.js'
import type { OrgInfo, OrgInput, Store } from '../store/index.js'
import { orgProblem } from './errors.js'
import type { OrgClient, OrgClientFactory } from './types.js'

/** The account as Apple Business Manager shows it (PUT /v1/orgs/{org}'s body). */
export interface OrgAccount {
  client_id: string
  key_id: string
  private_key: string
  base_url?: string | undefined
  token_url?: string | undefined
}

export interface StoreOrgOptions {
  /** Ask Apple for an access token before storing (default of both ways in). */
  verify: boolean
  /** The audit row, written in the transaction that stores the account. */
  audit: (created: boolean) => AuditEntryInput
}

export interface StoredOrg {
  info: OrgInfo
  created: boolean
  /** When the access token Apple gave while verifying expires (absent when not verified). */
  tokenExpiresAt?: string
}

const invalid = (why: string, field: string) => httpProblem(400, 'INVALID_ORG_ACCOUNT', `${why} Nothing was stored.`, { errors: [{ field, message: why }] })

/** The account's fields checked and put in the store's form; INVALID_ORG_ACCOUNT otherwise. */
function orgInput (account: OrgAccount): OrgInput {
  const scope = scopeOf(account.client_id)
  if (scope === undefined) throw invalid('The client id must start with BUSINESSAPI. or SCHOOLAPI., as Apple Business (or School) Manager shows it under Preferences → API.', 'body.client_id')
  try {
    loadPrivateKey(account.private_key)
  } catch {
    throw invalid('The private key is not a P-256 key in PEM form: give the whole .pem file Apple Business Manager let you download.', 'body.private_key')
  }
  return {
    clientId: account.client_id,
    keyId: account.key_id,
    privateKeyPem: account.private_key,
    scope,
    ...(account.base_url === undefined ? {} : { baseUrl: account.base_url }),
    ...(account.token_url === undefined ? {} : { tokenUrl: account.token_url })
  }
}

/** Gets an access token with the account: when it expires; Apple's refusal is 422 ORG_CREDENTIALS_REJECTED. */
async function verifyAccount (factory: OrgClientFactory, org: string, input: OrgInput): Promise<string | undefined> {
  const now = new Date().toISOString()
  const client = factory({ ...input, name: org, createdAt: now, updatedAt: now })
  let expiresAt: string | undefined
  try {
    await client.verify()
    expiresAt = tokenExpiry(client)
  } catch (err) {
    if (err instanceof AxmError && (err.code === 'INVALID_CLIENT' || err.code === 'INVALID_KEY')) {
      throw httpProblem(422, 'ORG_CREDENTIALS_REJECTED', 'Apple refused this API account: check the client id, the key id and that the key is the one Apple Business Manager shows for them (a revoked key is refused too). Nothing was stored.', { cause: err })
    }
    throw orgProblem(err, org)
  } finally {
    await client.close()
  }
  return expiresAt
}

/** When the access token the client holds expires (ISO 8601), or undefined before it got one. */
export function tokenExpiry (client: Pick<OrgClient, 'tokenState'>): string | undefined {
  const { expiresAt } = client.tokenState()
  return expiresAt === undefined ? undefined : new Date(expiresAt).toISOString()
}

/**
 * Checks, verifies (unless told not to) and stores the account under `org`, then asks the org
 * mirror to read the organisation whole at the refresher's next look (a new account, or another
 * one under this name). Nothing is stored when any step refuses.
 */
export async function storeOrgAccount (store: Store, factory: OrgClientFactory, org: string, account: OrgAccount, opts: StoreOrgOptions): Promise<StoredOrg> {
  const input = orgInput(account)
  const tokenExpiresAt = opts.verify ? await verifyAccount(factory, org, input) : undefined
  const { info, created } = await store.orgs.upsert(org, input, opts.audit)
  if (tokenExpiresAt !== undefined) await store.orgs.recordToken(org, tokenExpiresAt)
  await store.orgMirror.requestRefresh(org)
  return tokenExpiresAt === undefined ? { info, created } : { info, created, tokenExpiresAt }
}
