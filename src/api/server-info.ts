/**
 * What depgate shows about a DEP server, and the events it tells about its token: pure shapes and
 * functions of a stored record, kept apart from the registry plugin that holds the records.
 */
import { DEFAULT_BASE_URL } from '../dep/index.js'
import { isTokenExpired } from '../dep/token.js'
import { httpProblem } from '../problems.js'
import type { ServerRecord } from '../store/index.js'
import type { AccountIdentity } from '../store/servers.js'
import { tokenFingerprint } from '../tokens/server-token.js'

export const APPLE_BASE_URL = DEFAULT_BASE_URL
export const SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
const DAY_MS = 86_400_000

/** What may be shown about a server: never a secret, the consumer key only as a fingerprint. */
export interface DepServerInfo {
  name: string
  base_url: string
  token_fingerprint: string
  token_expires_at: string | null
  /** Whole days until expiry, negative once expired; null when the token carries no expiry. */
  token_days_left: number | null
  token_expired: boolean
  /** Who Apple says this token belongs to, as checked when it was stored (null: never checked). */
  account: { server_uuid: string | null, server_name: string | null, org_name: string | null, checked_at: string } | null
  /** True since Apple answered T_C_NOT_SIGNED, until a call succeeds again. */
  terms_not_signed: boolean
  terms_not_signed_since: string | null
  last_error: { code: string, at: string } | null
  created_at: string
  updated_at: string
}

export type TokenEventType = 'token.expiring' | 'token.expired' | 'token.renewed' | 'terms.not_signed' | 'terms.signed'

/** What the registry tells listeners (logs, the webhook); never a secret. */
export interface TokenEvent {
  type: TokenEventType
  server: string
  at: string
  token_fingerprint: string
  token_expires_at: string | null
  days_left?: number | null
  account?: DepServerInfo['account']
}

export interface StagedCertificate {
  server: string
  certificate_pem: string
  fingerprint_sha256: string
  staged_at: string
}

export function serverNotFound (name: string) {
  return httpProblem(404, 'SERVER_NOT_FOUND', `No DEP server named "${name}" is configured. GET /v1/servers lists them; an admin adds one with PUT /v1/servers/{server}.`)
}

/** The answer for a server whose token is sealed with another key: what happened and the fix, never "rotate again". */
export function tokenUnreadable (name: string, keyId: string) {
  return httpProblem(503, 'SECRET_BOX_WRONG_KEY', `The token of DEP server "${name}" is sealed with another secret key (id ${keyId}) than this depgate's: a depgate still running with the previous key stored it after the secrets were rotated. Restart every depgate replica with the current key, then store this server's token again (PUT /v1/servers/${name}/token, or depgate token import).`)
}

export function serverInfo (record: ServerRecord, now: number): DepServerInfo {
  const expiry = record.token.access_token_expiry
  const expiresAt = expiry === undefined ? null : expiry
  return {
    name: record.name,
    base_url: record.baseUrl ?? APPLE_BASE_URL,
    token_fingerprint: tokenFingerprint(record.token),
    token_expires_at: expiresAt,
    token_days_left: expiresAt === null ? null : Math.floor((Date.parse(expiresAt) - now) / DAY_MS),
    token_expired: isTokenExpired(record.token, now),
    account: accountInfo(record.account),
    terms_not_signed: record.termsNotSignedAt !== undefined,
    terms_not_signed_since: record.termsNotSignedAt ?? null,
    // A token no key here opens outranks whatever Apple said last: nothing can be asked of Apple now.
    last_error: record.unreadable === undefined ? record.lastError ?? null : { code: record.unreadable.code, at: record.updatedAt },
    created_at: record.createdAt,
    updated_at: record.updatedAt
  }
}

function accountInfo (a: AccountIdentity | undefined): DepServerInfo['account'] {
  if (a === undefined) return null
  return { server_uuid: a.serverUuid ?? null, server_name: a.serverName ?? null, org_name: a.orgName ?? null, checked_at: a.checkedAt }
}
