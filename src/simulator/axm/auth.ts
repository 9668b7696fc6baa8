/**
 * Apple's account service as the simulator plays it (docs/apple-axm.md §1, §8): registered API
 * accounts (client id, key id, public key), the client assertion checks Apple makes, and the
 * bearer tokens it hands out. Every refusal of a token request is the same bare
 * `{"error":"invalid_client"}` Apple answers; `reason` is for the simulator's own log and tests.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import { compactVerify, decodeProtectedHeader } from 'jose'

export const AUDIENCE = 'https://account.apple.com/auth/oauth2/v2/token'
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const MAX_LIFETIME_SEC = 180 * 86_400

export interface ApiAccount {
  clientId: string
  keyId: string
  publicKey: KeyObject
}

export interface IssuedToken {
  clientId: string
  scope: string
  expiresMs: number
}

export type AssertionCheck = { ok: true, account: ApiAccount, scope: string } | { ok: false, reason: string }

export interface AssertionRules {
  nowSec: number
  skewSec: number
  requireIss: boolean
}

export function scopeFor (clientId: string): string | undefined {
  if (clientId.startsWith('BUSINESSAPI.')) return 'business.api'
  if (clientId.startsWith('SCHOOLAPI.')) return 'school.api'
  return undefined
}

/** A P-256 key pair as the portal hands it out; `form: 'apple'` is the SEC1 header around a PKCS#8 body (docs/apple-axm.md §1.1). */
export function generateAccountKey (form: 'sec1' | 'pkcs8' | 'apple'): { privateKey: string, publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const pem = form === 'sec1'
    ? privateKey.export({ format: 'pem', type: 'sec1' }) as string
    : form === 'pkcs8' ? pkcs8 : pkcs8.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '-----$1 EC PRIVATE KEY-----')
  return { privateKey: pem, publicKey: publicKey.export({ format: 'pem', type: 'spki' }) as string }
}

export class AxmAuth {
  readonly accounts = new Map<string, ApiAccount>()
  readonly tokens = new Map<string, IssuedToken>()
  issued = 0

  /** Registers (or replaces) an account; a message when the public key is not a P-256 key. */
  register (clientId: string, keyId: string, publicKeyPem: string): ApiAccount | string {
    if (scopeFor(clientId) === undefined) return 'clientId must start with BUSINESSAPI. or SCHOOLAPI.'
    if (keyId === '') return 'keyId must not be empty'
    let publicKey: KeyObject
    try {
      publicKey = createPublicKey(publicKeyPem)
    } catch {
      return 'publicKey must be a PEM public key'
    }
    if (publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'publicKey must be a P-256 key'
    const account = { clientId, keyId, publicKey }
    this.accounts.set(clientId, account)
    return account
  }

  /** The checks of docs/apple-axm.md §8, in the order a request meets them. */
  async check (form: Record<string, unknown>, rules: AssertionRules): Promise<AssertionCheck> {
    const { grant_type: grant, client_id: clientId, client_assertion_type: type, client_assertion: jwt, scope } = form
    if (grant !== 'client_credentials') return { ok: false, reason: 'grant_type' }
    if (type !== ASSERTION_TYPE) return { ok: false, reason: 'client_assertion_type' }
    const account = typeof clientId === 'string' ? this.accounts.get(clientId) : undefined
    if (account === undefined) return { ok: false, reason: 'unknown client_id' }
    if (scope !== scopeFor(account.clientId)) return { ok: false, reason: 'scope' }
    if (typeof jwt !== 'string') return { ok: false, reason: 'no client_assertion' }
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(jwt)
    } catch {
      return { ok: false, reason: 'not a JWT' }
    }
    if (header.alg !== 'ES256') return { ok: false, reason: 'alg' }
    if (header.kid !== account.keyId) return { ok: false, reason: 'kid' }
    let claims: Record<string, unknown>
    try {
      const { payload } = await compactVerify(jwt, account.publicKey, { algorithms: ['ES256'] })
      claims = JSON.parse(new TextDecoder().decode(payload))
    } catch {
      return { ok: false, reason: 'signature' }
    }
    const { nowSec, skewSec, requireIss } = rules
    if (claims.sub !== account.clientId) return { ok: false, reason: 'sub' }
    if (requireIss && claims.iss !== account.clientId) return { ok: false, reason: 'iss' }
    if (claims.aud !== AUDIENCE && !(Array.isArray(claims.aud) && claims.aud.length === 1 && claims.aud[0] === AUDIENCE)) return { ok: false, reason: 'aud' }
    const { iat, exp } = claims
    if (typeof iat !== 'number' || typeof exp !== 'number') return { ok: false, reason: 'iat/exp' }
    if (iat > nowSec + skewSec) return { ok: false, reason: 'iat in the future' }
    if (exp <= nowSec) return { ok: false, reason: 'expired' }
    if (exp > iat + MAX_LIFETIME_SEC) return { ok: false, reason: 'exp more than 180 days after iat' }
    return { ok: true, account, scope: scope as string }
  }

  issue (clientId: string, scope: string, nowMs: number, ttlSec: number): string {
    // Opaque, like Apple's (which happens to look like a JWE): clients must not decode it.
    const token = `sim.${randomBytes(24).toString('base64url')}.${randomUUID()}`
    this.tokens.set(token, { clientId, scope, expiresMs: nowMs + ttlSec * 1000 })
    this.issued++
    return token
  }

  /** The token's grant, or why it is refused. */
  lookup (authorization: string | undefined, nowMs: number): IssuedToken | 'missing' | 'unknown' | 'expired' {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '')
    if (match === null) return 'missing'
    const grant = this.tokens.get(match[1])
    if (grant === undefined) return 'unknown'
    return grant.expiresMs <= nowMs ? 'expired' : grant
  }

  /** Every issued token expires now; returns how many were live. */
  expireAll (nowMs: number): number {
    let n = 0
    for (const grant of this.tokens.values()) {
      if (grant.expiresMs > nowMs) n++
      grant.expiresMs = Math.min(grant.expiresMs, nowMs)
    }
    return n
  }
}
