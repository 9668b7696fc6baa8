/**
 * The DEP client library's public surface (contract: "DEP client"). No Fastify in here.
 *
 *   const client = new DepClient({ token, baseUrl, onEvent })
 *   for await (const page of client.drainFetch()) store(page.devices, page.cursor)
 *
 * Defaults (options.ts, retry.ts): protocol version 10 (beta tokens: 1), User-Agent
 * `depgate/<version>`, an undici Pool of 8 keep-alive connections, timeouts connect 10 s /
 * headers 30 s / body 30 s, 3 retries with full-jitter backoff from 200 ms up to 5 s, `Retry-After`
 * honoured up to 30 s. Chunked calls (details, disown, assign, remove) send ≤ 1000 serials per
 * request; when one fails, its DepError carries `partial` and `pending` (see chunkedFailure).
 */
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
