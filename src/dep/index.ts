/** The DEP client library's public surface (contract: "DEP client"). */
export { DepClient, type PassthroughOptions, type PassthroughResponse } from './client.js'
export * from './errors.js'
export * from './schemas.js'
export { validateProfile, type ProfileRuleViolation } from './profile-rules.js'
export { isTokenExpired, type ServerToken } from './token.js'
export {
  DEFAULT_BASE_URL, DEFAULT_BETA_PROTOCOL_VERSION, DEFAULT_CONNECTIONS, DEFAULT_MAX_PAGES, DEFAULT_PROTOCOL_VERSION,
  DEFAULT_TIMEOUTS, MAX_PAGE_LIMIT, type DepClientEvent, type DepClientOptions, type DepTimeouts
} from './options.js'
export { chunkSerials, chunkedFailure, runChunked, mergeAssign, mergeDevices, MAX_CHUNK, type ChunkedFailure } from './chunks.js'
export type { DrainOptions } from './drain.js'
export { parseRetryAfter, backoffDelay, type RetryOptions } from './retry.js'
export { sessionAuthorization } from './oauth.js'
export { DEFAULT_USER_AGENT } from './user-agent.js'
