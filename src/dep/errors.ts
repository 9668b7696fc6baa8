/**
 * One error hierarchy for everything the DEP client can fail with.
 *
 * Every error carries a stable `code` (Apple's code where Apple gave one), the HTTP `status`
 * Apple answered (0 when no answer arrived) and the `endpoint` it came from. None of them ever
 * carries a secret: messages are built from codes and endpoint names only, never from request
 * headers or token values, and Apple's raw body is kept only after being cut to a short excerpt.
 */

/** Stable names of Apple's endpoints, used in errors, metrics and the simulator's fault API. */
export const DEP_ENDPOINTS = [
  'session',
  'account',
  'fetch_devices',
  'sync_devices',
  'device_details',
  'disown_devices',
  'define_profile',
  'get_profile',
  'assign_profile',
  'remove_profile',
  'activation_lock',
  'replacement_details',
  'beta_enrollment_tokens',
  'ade_profile_set',
  'ade_profile_get',
  'ade_profile_delete',
  'passthrough'
] as const
export type DepEndpoint = typeof DEP_ENDPOINTS[number]

export interface DepErrorOptions {
  code: string
  status?: number
  endpoint: DepEndpoint
  /** Seconds Apple (or a proxy in front of it) asked us to wait, when it said so. */
  retryAfterSeconds?: number
  cause?: unknown
}

export class DepError extends Error {
  readonly code: string
  readonly status: number
  readonly endpoint: DepEndpoint
  readonly retryAfterSeconds?: number

  constructor (message: string, opts: DepErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = new.target.name
    this.code = opts.code
    this.status = opts.status ?? 0
    this.endpoint = opts.endpoint
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds
  }
}

/** Apple answered with a documented 4xx error code (e.g. `PROFILE_NOT_FOUND`, `DEVICE_ID_REQUIRED`). */
export class DepApiError extends DepError {}

/**
 * Authentication failed in a way a retry cannot fix: terms and conditions not accepted
 * (`T_C_NOT_SIGNED`), the server token lacks access (`ACCESS_DENIED`), OAuth rejected
 * (`OAUTH_REJECTED`), or a session that stays refused after one re-authentication (`UNAUTHORIZED`).
 */
export class DepAuthError extends DepError {}

/** The server token's `access_token_expiry` has passed: a new token must be downloaded from Apple. */
export class DepTokenExpiredError extends DepError {}

/** A fetch/sync cursor problem: `INVALID_CURSOR`, `EXPIRED_CURSOR`, `EXHAUSTED_CURSOR`, `CURSOR_REQUIRED`, or `SAME_CURSOR` (Apple's loop anomaly). */
export class DepCursorError extends DepError {}

/** Apple asked us to slow down (HTTP 429, or 503 with `Retry-After`) and retries ran out. */
export class DepThrottledError extends DepError {}

/** Apple answered 5xx and retries ran out. */
export class DepUpstreamError extends DepError {}

/** No usable answer: connection refused or dropped, or a timeout (`code` `TIMEOUT` / `NETWORK_ERROR`). */
export class DepTransportError extends DepError {}

/** Apple answered 2xx, but the body was not the JSON we expect (truncated, wrong type, wrong shape). */
export class DepResponseError extends DepError {}

const MAX_EXCERPT = 200

/** A short, single-line excerpt of an upstream body, safe to log (Apple's bodies are codes, never secrets). */
export function bodyExcerpt (body: string): string {
  const line = body.replace(/\s+/g, ' ').trim()
  return line.length > MAX_EXCERPT ? `${line.slice(0, MAX_EXCERPT)}…` : line
}

/**
 * Apple's error bodies are a bare code (`INVALID_CURSOR`); Apple's depsim quotes it
 * (`"INVALID_CURSOR"`); some mocks send `{"code": "…"}`. Returns the upper-snake-case code, or
 * undefined when the body holds none.
 */
export function parseErrorCode (body: string): string | undefined {
  const trimmed = body.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed)
      if (parsed !== null && typeof parsed === 'object' && 'code' in parsed && typeof parsed.code === 'string') {
        return parsed.code
      }
    } catch {
      // not JSON after all: fall through to the bare-code match
    }
  }
  const match = /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|FORBIDDEN|UNAUTHORIZED)\b/.exec(trimmed)
  return match?.[1]
}
