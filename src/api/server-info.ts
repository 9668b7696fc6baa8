/**
 * What depgate shows about a DEP server, and the events it tells about its token: pure shapes and
 * functions of a stored record, kept apart from the registry (src/servers) that holds the records.
 */
import { z } from 'zod'
import { timestamp } from './timestamps.js'
import { DEFAULT_BASE_URL } from '../dep/index.js'
import { isTokenExpired } from '../dep/token.js'
import { httpProblem } from '../problems.js'
import type { ServerRecord } from '../store/index.js'
import type { AccountIdentity } from '../store/servers.js'
import { tokenFingerprint } from '../tokens/server-token.js'

export const APPLE_BASE_URL = DEFAULT_BASE_URL
export const SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
const DAY_MS = 86_400_000

export const serverInfoSchema = z.object({
  name: z.string(),
  base_url: z.string().describe('Where depgate sends this server\'s requests (Apple, or a simulator)'),
  token_fingerprint: z.string().describe('A short hash of the consumer key: tells tokens apart, reveals nothing'),
  token_expires_at: timestamp().nullable().describe('The token\'s access_token_expiry, or null when the token has none'),
  token_days_left: z.number().int().nullable().describe('Whole days until the token expires (negative once expired)'),
  token_expired: z.boolean(),
  account: z.object({
    server_uuid: z.string().nullable(),
    server_name: z.string().nullable(),
    org_name: z.string().nullable(),
    checked_at: timestamp()
  }).nullable().describe('The Apple MDM server and organisation this token belongs to, as /account said when the token was stored (null: not checked)'),
  terms_not_signed: z.boolean().describe('True since Apple answered T_C_NOT_SIGNED (new terms to accept in Apple Business/School Manager), until a call succeeds'),
  terms_not_signed_since: timestamp().nullable(),
  last_error: z.object({ code: z.string(), at: timestamp() }).nullable().describe('The last error Apple (or the network) gave for this server, cleared by the next success'),
  org: z.string().nullable().describe('The Apple Business / School Manager org (GET /v1/orgs/{org}) this server belongs to: device reads then carry the org mirror\'s view of the device (`org`). Null: not linked (PATCH this server with `{"org": "…"}` to link it)'),
  org_mdm_server: z.string().nullable().describe('This server\'s id among the org\'s MDM servers (GET /v1/orgs/{org}/mdm-servers), found by its name when linked; null when not linked'),
  created_at: timestamp(),
  updated_at: timestamp()
}).meta({
  id: 'Server',
  description: 'A DEP server (one server token). Secrets are never shown.',
  examples: [{
    name: 'default',
    base_url: 'https://mdmenrollment.apple.com',
    token_fingerprint: 'sha256:3f2a9c0e71b4',
    token_expires_at: '2027-03-01T09:00:00.000Z',
    token_days_left: 210,
    token_expired: false,
    account: { server_uuid: '6A7F0C3E-2B1D-4E5F-9A8B-0C1D2E3F4A5B', server_name: 'depgate', org_name: 'Example School', checked_at: '2026-01-05T10:00:00.000Z' },
    terms_not_signed: false,
    terms_not_signed_since: null,
    last_error: null,
    org: 'default',
    org_mdm_server: '6A7F0C3E2B1D4E5F9A8B0C1D2E3F4A5B',
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z'
  }]
})

/** What may be shown about a server: never a secret, the consumer key only as a fingerprint. */
export type DepServerInfo = z.infer<typeof serverInfoSchema>

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

/** The server's own URL (GET /v1/servers/{server}, its token and its mirror): the Location of what creates it or is accepted for it. */
export function serverPath (name: string): string {
  return `/v1/servers/${encodeURIComponent(name)}`
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
    org: record.orgLink?.org ?? null,
    org_mdm_server: record.orgLink?.mdmServer ?? null,
    created_at: record.createdAt,
    updated_at: record.updatedAt
  }
}

function accountInfo (a: AccountIdentity | undefined): DepServerInfo['account'] {
  if (a === undefined) return null
  return { server_uuid: a.serverUuid ?? null, server_name: a.serverName ?? null, org_name: a.orgName ?? null, checked_at: a.checkedAt }
}
