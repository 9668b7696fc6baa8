/**
 * Options, defaults and events of the AxM client. Every default that rests on a single source or
 * an inference (docs/apple-axm.md marks them) is an option here.
 */
import type { KeyObject } from 'node:crypto'
import type { Dispatcher } from 'undici'
import type { AxmEndpoint } from './errors.js'

/** docs/apple-axm.md §1.3: the documented token endpoint. */
export const DEFAULT_TOKEN_URL = 'https://account.apple.com/auth/oauth2/token'
/** docs/apple-axm.md §1.2: the only `aud` Apple accepts (the v2 URL, not the token URL). */
export const DEFAULT_AUDIENCE = 'https://account.apple.com/auth/oauth2/v2/token'
export const BUSINESS_BASE_URL = 'https://api-business.apple.com'
export const SCHOOL_BASE_URL = 'https://api-school.apple.com'
/** docs/apple-axm.md §1.2: `exp` must stay within 180 days of `iat`. */
export const MAX_ASSERTION_LIFETIME_SEC = 180 * 86_400
/** docs/apple-axm.md §3: the documented maximum `limit` of every list. */
export const MAX_PAGE_LIMIT = 1000
/**
 * Serials per activity. Apple documents no limit (docs/apple-axm.md §5); 1000 follows DEP's
 * assign-profile limit, and callers batch to it.
 */
export const DEFAULT_MAX_ACTIVITY_SERIALS = 1000

export type AxmScope = 'business.api' | 'school.api'

export type AxmClientEvent =
  | { type: 'request', endpoint: AxmEndpoint, method: string, status: number, durationMs: number }
  | { type: 'token', outcome: 'acquired' | 'failed' }
  | { type: 'assertion', outcome: 'signed' }
  | { type: 'retry', endpoint: AxmEndpoint, reason: string, delayMs: number }

export interface AxmClientOptions {
  /** `BUSINESSAPI.<uuid>` or `SCHOOLAPI.<uuid>`; the prefix picks scope and host (docs/apple-axm.md §1.1). */
  clientId: string
  keyId: string
  /** The `.pem` Apple handed out (either form, docs/apple-axm.md §1.1), or a loaded key. */
  privateKey: string | KeyObject
  /** API host; default by scope (api-business / api-school). */
  baseUrl?: string
  tokenUrl?: string
  audience?: string
  /** Assertion lifetime in seconds (default and maximum 180 days). */
  assertionLifetimeSec?: number
  /** A new assertion is signed once this share of its lifetime has passed (default 0.9: 18 days early). */
  assertionRenewAt?: number
  /** The access token counts as expired this long before `expires_in` runs out (default 5 min). */
  tokenEarlyRenewSec?: number
  /** Page size of every list (default and maximum 1000). */
  pageLimit?: number
  maxActivitySerials?: number
  /** How long one call may spend waiting out 429 / 503 / network failures before it gives up (default 120 s). */
  retryDeadlineMs?: number
  /** Longest single `Retry-After` honoured (default 60 s, as asbmutil and terraform cap it). */
  maxRetryAfterMs?: number
  /** Wait between retries when Apple gave no `Retry-After` (default 1 s, doubled per attempt). */
  retryDelayMs?: number
  /** Injectable undici dispatcher; when given, the client neither configures nor closes it. */
  dispatcher?: Dispatcher
  /** Per-request timeout for headers and body (default 30 s). */
  timeoutMs?: number
  /** ms epoch; drives token and assertion expiry. */
  now?: () => number
  /** How to wait between retries; tests make it advance a simulated clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Metrics/log hook; events never carry secrets. A hook that throws is ignored. */
  onEvent?: (e: AxmClientEvent) => void
}

/** The scope a client id asks for (docs/apple-axm.md §1.3), or undefined for an id of neither kind. */
export function scopeOf (clientId: string): AxmScope | undefined {
  if (clientId.startsWith('BUSINESSAPI.')) return 'business.api'
  if (clientId.startsWith('SCHOOLAPI.')) return 'school.api'
  return undefined
}

export function defaultBaseUrl (scope: AxmScope): string {
  return scope === 'business.api' ? BUSINESS_BASE_URL : SCHOOL_BASE_URL
}
