/**
 * The Apple Business / School Manager API client's public surface (docs/apple-axm.md). No Fastify
 * in here, like src/dep.
 *
 *   const client = new AxmClient({ clientId, keyId, privateKey: pem })
 *   for await (const page of client.orgDevicePages()) store(page.items, page.nextCursor)
 *   const activity = await client.createDeviceActivity({ action: 'assign', mdmServerId, serials })
 *
 * Defaults (options.ts): scope and host from the client id prefix, assertion 180 days re-signed after
 * 90 % of it, token renewed 5 min before expiry, pages of 1000, ≤ 1000 serials per activity,
 * 429 / 503 waited out after `Retry-After` (≤ 60 s each) within 120 s per call.
 */
import { AxmClient } from './client.js'
import type { AxmClientOptions } from './options.js'

export { AxmClient, type ActivityInput, type Page, type PageOptions } from './client.js'
export { AXM_ENDPOINTS, AxmError, errorFromStatus, parseAppleErrors, type AppleApiError, type AxmEndpoint, type AxmErrorCode } from './errors.js'
export { loadPrivateKey } from './keys.js'
export { readActivityLog, type ActivityLogRow } from './activity-log.js'
export {
  BUSINESS_BASE_URL, DEFAULT_AUDIENCE, DEFAULT_MAX_ACTIVITY_SERIALS, DEFAULT_TOKEN_URL, MAX_ASSERTION_LIFETIME_SEC, MAX_PAGE_LIMIT,
  SCHOOL_BASE_URL, defaultBaseUrl, scopeOf, type AxmClientEvent, type AxmClientOptions, type AxmScope
} from './options.js'
export type { ActivityStatus, AppleCareCoverage, DeviceActivity, MdmServer, OrgDevice } from './schemas.js'
export type { TokenState } from './token.js'

/** The client factory (design convention: `createX(opts)`). */
export function createAxmClient (opts: AxmClientOptions): AxmClient {
  return new AxmClient(opts)
}
