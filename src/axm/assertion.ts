/**
 * The client assertion (docs/apple-axm.md §1.2): a JWT signed ES256 with the API account's key,
 * `iss` = `sub` = client id, `aud` = Apple's v2 token URL, `exp` within 180 days of `iat`. Apple
 * accepts one assertion (and its `jti`) for its whole lifetime, so it is signed once and re-used
 * until a share of its lifetime has passed, well before `exp`.
 */
import { randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import type { AxmClientEvent } from './options.js'

export interface AssertionOptions {
  clientId: string
  keyId: string
  key: KeyObject
  audience: string
  lifetimeSec: number
  /** Share of the lifetime after which a new assertion is signed. */
  renewAt: number
  now: () => number
  emit: (e: AxmClientEvent) => void
}

export class AssertionSigner {
  private current?: { jwt: string, renewAtMs: number }

  constructor (private readonly opts: AssertionOptions) {}

  async get (): Promise<string> {
    const { clientId, keyId, key, audience, lifetimeSec, renewAt, now, emit } = this.opts
    const nowMs = now()
    if (this.current !== undefined && nowMs < this.current.renewAtMs) return this.current.jwt
    const iat = Math.floor(nowMs / 1000)
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetimeSec)
      .setJti(randomUUID())
      .sign(key)
    this.current = { jwt, renewAtMs: (iat + Math.floor(lifetimeSec * renewAt)) * 1000 }
    emit({ type: 'assertion', outcome: 'signed' })
    return jwt
  }
}
