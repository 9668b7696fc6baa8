/**
 * What an org's failures at Apple mean to a Mac admin (docs/apple-axm.md §4, §1.5): the account
 * refused (revoked key, wrong client id, host or scope), Apple throttling (its Retry-After
 * passed on), Apple unreachable or failing. Apple's own `errors[]` codes are named in the detail,
 * never the request's secrets.
 */
import { AxmError } from '../axm/index.js'
import { HttpProblem, httpProblem } from '../problems.js'

const appleCodes = (err: AxmError): string => err.errors.length > 0 ? ` (Apple: ${err.errors.map((e) => e.code).join(', ')})` : ''

/** The problem an AxmError is answered with; anything else is returned as it is (the app's error mapping takes it). */
export function orgProblem (err: unknown, org: string): unknown {
  if (!(err instanceof AxmError)) return err
  const where = `Apple's ${err.endpoint.replace(/_/g, ' ')} endpoint`
  switch (err.code) {
    case 'INVALID_CLIENT':
    case 'INVALID_KEY':
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
      return httpProblem(502, 'ORG_CREDENTIALS_REJECTED', `Apple refused the API account of org "${org}"${appleCodes(err)}. Check in Apple Business Manager (Preferences → API) that the account and its key still exist, then store them again with PUT /v1/orgs/${org}.`, { cause: err })
    case 'THROTTLED':
      return httpProblem(429, 'UPSTREAM_THROTTLED', `Apple is throttling requests to ${where}; wait and try again.`, { retryAfterSeconds: err.retryAfterSeconds ?? 60, cause: err })
    case 'NETWORK_ERROR':
      return httpProblem(502, 'UPSTREAM_UNREACHABLE', `${where} could not be reached (network error); try again.`, { cause: err })
    case 'INVALID_RESPONSE':
      return httpProblem(502, 'UPSTREAM_INVALID_RESPONSE', `${where} answered with a body depgate could not read; try again.`, { cause: err })
    default:
      return httpProblem(502, 'UPSTREAM_ERROR', `${where} failed (HTTP ${err.status})${appleCodes(err)}; try again later.`, { cause: err })
  }
}

/** Awaits an Apple call for `org`, its AxmError turned into the problem above. */
export async function withOrgErrors<T> (org: string, call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (err) {
    throw orgProblem(err, org)
  }
}

/** The code and sentence the org mirror records for a failed refresh, and how long Apple asked to wait. */
export function describeOrgError (err: unknown, org: string): { code: string, message: string, retryAfterMs?: number } {
  const mapped = orgProblem(err, org)
  if (mapped instanceof HttpProblem) {
    const out: { code: string, message: string, retryAfterMs?: number } = { code: mapped.code, message: mapped.detail }
    if (mapped.retryAfterSeconds !== undefined) out.retryAfterMs = mapped.retryAfterSeconds * 1000
    return out
  }
  return { code: 'INTERNAL', message: 'the refresh failed unexpectedly; the error is in depgate\'s log' }
}
