/**
 * Turning Apple's answers into values or typed errors (docs/apple-dep.md §2.16, §4.3). Codes are read
 * with parseErrorCode (bare, quoted or `{"code"}` bodies); messages name the endpoint, the status
 * and the code only, so nothing secret can leak through them.
 */
import type { z } from 'zod'
import {
  DepApiError, DepAuthError, DepCursorError, DepError, DepResponseError, DepThrottledError, DepUpstreamError,
  parseErrorCode, type DepEndpoint
} from './errors.js'
import { parseRetryAfter } from './retry.js'
import type { WireResponse } from './transport.js'

export const CURSOR_CODES = new Set(['INVALID_CURSOR', 'EXPIRED_CURSOR', 'EXHAUSTED_CURSOR', 'CURSOR_REQUIRED'])
/** 403 codes that say the account itself is refused: a new session cannot help (docs/apple-dep.md §1.2). */
export const ACCOUNT_REFUSED_CODES = new Set(['T_C_NOT_SIGNED', 'ACCESS_DENIED'])

/** 401, or depsim's 403 `FORBIDDEN` for a session it no longer knows: worth one re-authentication (docs/apple-dep.md §1.4). */
export function isSessionRejected (res: WireResponse): boolean {
  return res.status === 401 || (res.status === 403 && res.body.includes('FORBIDDEN'))
}

const defaultCode = (status: number): string => status === 404 ? 'NOT_FOUND' : `HTTP_${status}`

/** The typed error for a non-2xx answer from an authenticated endpoint. */
export function errorFromResponse (endpoint: DepEndpoint, res: WireResponse, now: number): DepError {
  const { status } = res
  const appleCode = parseErrorCode(res.body)
  const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], now)
  const base = { status, endpoint, retryAfterSeconds }
  if (status === 403 && appleCode !== undefined && ACCOUNT_REFUSED_CODES.has(appleCode)) {
    return new DepAuthError(`${endpoint}: Apple refused the account (${appleCode})`, { ...base, code: appleCode })
  }
  if (isSessionRejected(res)) {
    return new DepAuthError(`${endpoint}: Apple refused the session again after re-authenticating (${status})`, { ...base, code: 'UNAUTHORIZED' })
  }
  if (status === 429 || (status === 503 && retryAfterSeconds !== undefined)) {
    const code = appleCode ?? (status === 429 ? 'TOO_MANY_REQUESTS' : 'UPSTREAM_503')
    const wait = retryAfterSeconds === undefined ? '' : `, retry after ${retryAfterSeconds} s`
    return new DepThrottledError(`${endpoint}: Apple is throttling requests (${status} ${code}${wait})`, { ...base, code })
  }
  if (status >= 500) {
    const code = appleCode ?? `UPSTREAM_${status}`
    return new DepUpstreamError(`${endpoint}: Apple answered ${status} (${code})`, { ...base, code })
  }
  if (status === 405) {
    return new DepApiError(`${endpoint}: Apple does not allow this method (405)`, { ...base, code: 'METHOD_NOT_ALLOWED' })
  }
  const code = appleCode ?? defaultCode(status)
  if (CURSOR_CODES.has(code)) return new DepCursorError(`${endpoint}: Apple refused the cursor (${code})`, { ...base, code })
  return new DepApiError(`${endpoint}: Apple answered ${status} ${code}`, { ...base, code })
}

/** A 2xx body checked against its schema; anything else is DepResponseError INVALID_RESPONSE. */
export function parseBody<S extends z.ZodType> (endpoint: DepEndpoint, res: WireResponse, schema: S): z.output<S> {
  let json: unknown
  try {
    json = JSON.parse(res.body)
  } catch {
    // No `cause`: V8's SyntaxError quotes the body, and errors carry codes, not payloads.
    throw new DepResponseError(`${endpoint}: Apple answered ${res.status} with a body that is not JSON (${res.body.length} bytes)`, { code: 'INVALID_RESPONSE', status: res.status, endpoint })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => i.path.join('.') || '(root)').join(', ')
    throw new DepResponseError(`${endpoint}: Apple's answer does not have the expected shape (at ${where})`, { code: 'INVALID_RESPONSE', status: res.status, endpoint })
  }
  return parsed.data
}
