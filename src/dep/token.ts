/**
 * The decrypted DEP server token: four OAuth 1.0a values plus an expiry that is never sent to
 * Apple but tells us when to stop calling (docs/apple-dep.md §1.1).
 */
export interface ServerToken {
  consumer_key: string
  consumer_secret: string
  access_token: string
  access_secret: string
  /** ISO-8601 UTC; absent in hand-made tokens, in which case we never refuse on expiry. */
  access_token_expiry?: string
}

/** True once the token's `access_token_expiry` has passed. A missing or unparsable expiry never expires. */
export function isTokenExpired (token: ServerToken, now: number): boolean {
  if (token.access_token_expiry === undefined) return false
  const expiry = Date.parse(token.access_token_expiry)
  return Number.isFinite(expiry) && expiry <= now
}
