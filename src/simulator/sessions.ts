import { randomBytes } from 'node:crypto'

export type SessionCheck = 'ok' | 'missing' | 'expired' | 'unknown'

// Expired sessions are remembered this long so they still answer 401 (expired) rather than
// 403 (never issued); older ones are forgotten, as depsim forgets everything on restart.
const FORGET_AFTER_MS = 3_600_000

/** Issued session tokens and the OAuth nonces already used. */
export class SessionStore {
  private readonly sessions = new Map<string, number>()
  private readonly nonces = new Map<string, number>()
  issued = 0
  rotated = 0

  /** depy observed tokens starting with the 10-digit Unix time of issue (docs/apple-dep.md §1.2). */
  issue (now: number, ttlMs: number, rotation = false): string {
    this.prune(now)
    const token = `${Math.floor(now / 1000)}${randomBytes(32).toString('hex')}`
    this.sessions.set(token, now + ttlMs)
    if (rotation) this.rotated++
    else this.issued++
    return token
  }

  check (token: string | undefined, now: number): SessionCheck {
    if (token === undefined || token === '') return 'missing'
    const expires = this.sessions.get(token)
    if (expires === undefined) return 'unknown'
    return expires > now ? 'ok' : 'expired'
  }

  expireAll (now: number): number {
    let n = 0
    for (const [token, expires] of this.sessions) {
      if (expires > now) {
        this.sessions.set(token, now)
        n++
      }
    }
    return n
  }

  /** False when the nonce was seen with a timestamp still inside the window. */
  useNonce (nonce: string, timestampSec: number, now: number, windowSec: number): boolean {
    for (const [key, ts] of this.nonces) {
      if (Math.abs(now / 1000 - ts) > windowSec) this.nonces.delete(key)
    }
    const key = `${timestampSec}:${nonce}`
    if (this.nonces.has(key)) return false
    this.nonces.set(key, timestampSec)
    return true
  }

  private prune (now: number): void {
    for (const [token, expires] of this.sessions) {
      if (expires + FORGET_AFTER_MS < now) this.sessions.delete(token)
    }
  }
}
