/**
 * OAuth 1.0a signing of `GET /session` (docs/apple-dep.md §1.2): HMAC-SHA1 computed with node:crypto,
 * parameters and header layout by the `oauth-1.0a` package, `realm="ADM"` as Apple's own
 * examples send it (it is not part of the signature base string).
 */
import { createHmac, randomBytes } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import type { ServerToken } from './token.js'

export interface SignOptions {
  /** ms epoch; the timestamp is sent in seconds. */
  now: number
  /** Fixed nonce for tests; by default 16 random bytes in hex, as petarov's signer does. */
  nonce?: string
}

function hmacSha1 (base: string, key: string): string {
  return createHmac('sha1', key).update(base).digest('base64')
}

/** The `Authorization` header value for one `GET <url>` (a fresh nonce every call: Apple rejects reuse). */
export function sessionAuthorization (token: ServerToken, url: string, opts: SignOptions): string {
  const oauth = new OAuth({
    consumer: { key: token.consumer_key, secret: token.consumer_secret },
    signature_method: 'HMAC-SHA1',
    hash_function: hmacSha1,
    realm: 'ADM'
  })
  oauth.getNonce = () => opts.nonce ?? randomBytes(16).toString('hex')
  oauth.getTimeStamp = () => Math.floor(opts.now / 1000)
  const data = oauth.authorize({ url, method: 'GET' }, { key: token.access_token, secret: token.access_secret })
  return oauth.toHeader(data).Authorization
}
