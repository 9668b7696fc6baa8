/**
 * Options and events of the DEP client (contract: "DEP client"). Defaults live here so the
 * gateway, the docs and the tests read them from one place.
 */
import type { Dispatcher } from 'undici'
import type { DepEndpoint } from './errors.js'
import type { RetryOptions } from './retry.js'
import type { ServerToken } from './token.js'

export const DEFAULT_BASE_URL = 'https://mdmenrollment.apple.com'
/** Fleet's vendored nanodep and petarov send 10; it unlocks `retry_after_seconds` and replacement details (docs/apple-dep.md §1.5). */
export const DEFAULT_PROTOCOL_VERSION = 10
/** Apple's beta-program article says to send version 1 on `GET /os-beta-enrollment/tokens` (docs/apple-dep.md §2.12). */
export const DEFAULT_BETA_PROTOCOL_VERSION = 1
export const DEFAULT_CONNECTIONS = 8
export const DEFAULT_TIMEOUTS = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 } as const
/** Apple's documented maximum `limit` for fetch and sync (docs/apple-dep.md §2.2). */
export const MAX_PAGE_LIMIT = 1000
/** A drain stops with PAGE_LIMIT after this many pages unless told otherwise (10 million devices at 1000 a page). */
export const DEFAULT_MAX_PAGES = 10_000

export type DepClientEvent =
  | { type: 'request', endpoint: DepEndpoint, method: string, status: number, durationMs: number }
  | { type: 'session', outcome: 'acquired' | 'rotated' | 'failed' }
  | { type: 'retry', endpoint: DepEndpoint, reason: string, delayMs: number }

export interface DepTimeouts {
  /** TCP + TLS connect (default 10 s). */
  connectMs?: number
  /** Until the response headers arrive (default 30 s). */
  headersMs?: number
  /** Between body chunks (default 30 s). */
  bodyMs?: number
}

export interface DepClientOptions {
  token: ServerToken
  baseUrl?: string
  userAgent?: string
  protocolVersion?: number
  /** X-Server-Protocol-Version for the beta-token call only (default 1, docs/apple-dep.md §2.12). */
  betaProtocolVersion?: number
  /** Injectable undici dispatcher; when given, the client neither configures nor closes it. */
  dispatcher?: Dispatcher
  /** Pool size, i.e. the most requests in flight to Apple per client (default 8). */
  connections?: number
  timeouts?: DepTimeouts
  retry?: RetryOptions
  /** ms epoch, for the token-expiry check, OAuth timestamps and HTTP-date `Retry-After`. */
  now?: () => number
  /** Metrics/log hook; events never carry secrets. A hook that throws is ignored. */
  onEvent?: (e: DepClientEvent) => void
}
