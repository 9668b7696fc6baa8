import { createHmac, timingSafeEqual } from 'node:crypto'
import type { ServerToken } from '../dep/token.js'

/*
 * OAuth 1.0a HMAC-SHA1 verification for GET /session (RFC 5849, docs/apple-dep.md §1.2), written with
 * node:crypto alone: the client signs with the oauth-1.0a package, so the simulator must be an
 * independent implementation for the pair to check each other.
 */

/** RFC 5849 §3.6: unreserved characters stay, everything else is %XX in upper case. */
export function percentEncode (value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** RFC 5849 §3.4.1.2: scheme and host lower case, default ports dropped, no query or fragment. */
export function baseStringUri (url: URL): string {
  const defaultPort = (url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443')
  const port = url.port === '' || defaultPort ? '' : `:${url.port}`
  return `${url.protocol}//${url.hostname.toLowerCase()}${port}${url.pathname}`
}

const compare = (x: string, y: string): number => x < y ? -1 : x > y ? 1 : 0

/** RFC 5849 §3.4.1: method & base URI & normalised parameters (query + oauth_*, minus the signature). */
export function signatureBaseString (method: string, url: URL, oauthParams: Array<[string, string]>): string {
  const pairs: Array<[string, string]> = []
  for (const [k, v] of url.searchParams) pairs.push([percentEncode(k), percentEncode(v)])
  for (const [k, v] of oauthParams) {
    if (k !== 'oauth_signature' && k !== 'realm') pairs.push([percentEncode(k), percentEncode(v)])
  }
  // byte order of the encoded names, then of the encoded values (RFC 5849 §3.4.1.3.2)
  pairs.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]))
  const normalised = pairs.map(([k, v]) => `${k}=${v}`).join('&')
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalised)].join('&')
}

export function hmacSha1Signature (baseString: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`
  return createHmac('sha1', key).update(baseString).digest('base64')
}

export type ParsedHeader = { ok: true, params: Array<[string, string]> } | { ok: false }

const PARAM = /^([A-Za-z_]+)="([^"]*)"$/

/** Splits `OAuth k="v", …`, percent-decoding values; a malformed header or duplicated parameter fails. */
export function parseAuthorizationHeader (header: string): ParsedHeader {
  const match = /^OAuth\s+(.*)$/is.exec(header.trim())
  if (match === null) return { ok: false }
  const params: Array<[string, string]> = []
  const seen = new Set<string>()
  for (const part of match[1].split(',')) {
    const m = PARAM.exec(part.trim())
    if (m === null || seen.has(m[1])) return { ok: false }
    seen.add(m[1])
    try {
      params.push([m[1], decodeURIComponent(m[2])])
    } catch {
      return { ok: false }
    }
  }
  return { ok: true, params }
}

const REQUIRED = ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature']
const ALLOWED = new Set([...REQUIRED, 'oauth_version', 'realm'])

export type OAuthResult = { ok: true } | { ok: false, status: 400 | 401, code: string }

export interface VerifyInput {
  method: string
  url: URL
  header: string | undefined
  nowMs: number
  windowSec: number
  credentials: ServerToken
  /** Records a nonce; false when it was already used within the timestamp window. */
  useNonce: (nonce: string, timestampSec: number) => boolean
}

const badRequest: OAuthResult = { ok: false, status: 400, code: 'BAD_REQUEST' }
const unauthorized: OAuthResult = { ok: false, status: 401, code: 'UNAUTHORIZED' }

/**
 * Apple's split (docs/apple-dep.md §1.2): 400 for unsupported or missing or duplicated parameters and
 * unsupported signature methods; 401 for unknown key or token, bad signature, reused nonce, and
 * (our choice, the window being undocumented) a timestamp outside the window.
 */
export function verifyOAuth (input: VerifyInput): OAuthResult {
  if (input.header === undefined) return badRequest
  const parsed = parseAuthorizationHeader(input.header)
  if (!parsed.ok) return badRequest
  const p = new Map(parsed.params)
  if (parsed.params.some(([k]) => !ALLOWED.has(k)) || REQUIRED.some((k) => !p.has(k))) return badRequest
  if (p.get('oauth_signature_method') !== 'HMAC-SHA1') return badRequest
  if (p.has('oauth_version') && p.get('oauth_version') !== '1.0') return badRequest
  const timestamp = p.get('oauth_timestamp') as string
  if (!/^\d{1,12}$/.test(timestamp)) return badRequest
  const creds = input.credentials
  if (p.get('oauth_consumer_key') !== creds.consumer_key || p.get('oauth_token') !== creds.access_token) return unauthorized
  if (Math.abs(input.nowMs / 1000 - Number(timestamp)) > input.windowSec) return unauthorized
  const expected = Buffer.from(hmacSha1Signature(signatureBaseString(input.method, input.url, parsed.params), creds.consumer_secret, creds.access_secret))
  const given = Buffer.from(p.get('oauth_signature') as string)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return unauthorized
  if (!input.useNonce(p.get('oauth_nonce') as string, Number(timestamp))) return unauthorized
  return { ok: true }
}
