/**
 * One error type for everything the AxM client can fail with (docs/apple-axm.md §6).
 *
 * `code` is stable and names what went wrong from depgate's side (`INVALID_CLIENT`, `NOT_FOUND`,
 * `THROTTLED`, …); `errors` keeps Apple's own `errors[]` untouched so a caller can map them to its
 * own problem codes. Messages are built from status, endpoint and Apple's codes only, never from a
 * request's headers, the assertion or a token.
 */

/** Stable names of the endpoints the client calls, used in errors, events and the simulator's faults. */
export const AXM_ENDPOINTS = [
  'token',
  'org_devices',
  'org_device',
  'assigned_server',
  'applecare',
  'mdm_servers',
  'mdm_server_devices',
  'create_activity',
  'get_activity',
  'activity_log'
] as const
export type AxmEndpoint = typeof AXM_ENDPOINTS[number]

/** One entry of Apple's ErrorResponse `errors[]` (docs/apple-axm.md §6). */
export interface AppleApiError {
  id?: string
  status: string
  code: string
  title: string
  detail: string
  source?: { pointer?: string, parameter?: string }
  [key: string]: unknown
}

export type AxmErrorCode =
  /** The token endpoint refused the client assertion (400 `invalid_client` and friends). */
  | 'INVALID_CLIENT'
  /** The private key could not be read as a P-256 key. */
  | 'INVALID_KEY'
  /** Apple refused the access token twice in a row. */
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  /** 409 / 422 on activity creation: an unknown server or serial. */
  | 'CONFLICT'
  /** 429 (or 503) and the retry deadline ran out. */
  | 'THROTTLED'
  /** 5xx and the retry deadline ran out. */
  | 'UPSTREAM_ERROR'
  /** No answer arrived (connection refused, reset, timeout). */
  | 'NETWORK_ERROR'
  /** 2xx, but not the JSON Apple documents. */
  | 'INVALID_RESPONSE'
  /** More serials than one activity may carry. */
  | 'TOO_MANY_SERIALS'
  /** Any other status. */
  | 'HTTP_ERROR'

export interface AxmErrorOptions {
  code: AxmErrorCode
  endpoint: AxmEndpoint
  status?: number
  errors?: AppleApiError[]
  retryAfterSeconds?: number
  cause?: unknown
}

export class AxmError extends Error {
  readonly code: AxmErrorCode
  readonly endpoint: AxmEndpoint
  /** Apple's HTTP status, 0 when no answer arrived. */
  readonly status: number
  /** Apple's `errors[]` as sent, empty when the answer had none. */
  readonly errors: AppleApiError[]
  readonly retryAfterSeconds?: number

  constructor (message: string, opts: AxmErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AxmError'
    this.code = opts.code
    this.endpoint = opts.endpoint
    this.status = opts.status ?? 0
    this.errors = opts.errors ?? []
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds
  }
}

const STATUS_CODES: Record<number, AxmErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  422: 'CONFLICT',
  429: 'THROTTLED'
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Apple's `errors[]` from a body, keeping only entries that look like errors; non-JSON bodies (an HTML proxy page) give []. */
export function parseAppleErrors (body: string): AppleApiError[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return []
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.errors)) return []
  return parsed.errors.filter((e): e is AppleApiError => isRecord(e) && typeof e.code === 'string')
}

/** The error for a non-2xx API answer (status-first, as Apple advises: docs/apple-axm.md §6). */
export function errorFromStatus (endpoint: AxmEndpoint, status: number, body: string, retryAfterSeconds?: number): AxmError {
  const errors = parseAppleErrors(body)
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'UPSTREAM_ERROR' : 'HTTP_ERROR')
  const apple = errors.length > 0 ? ` (${errors.map((e) => e.code).join(', ')})` : ''
  return new AxmError(`${endpoint}: Apple answered ${status}${apple}`, { code, endpoint, status, errors, retryAfterSeconds })
}
