/**
 * Failed authentications counted per client address and per key id (DEPGATE_AUTH_FAILURE_LIMIT a
 * minute, a fixed window from the first failure). Once either is spent, the auth hook answers 429
 * before it reads the key's record or hashes anything: online guessing gets a few tries a minute,
 * and a flood of wrong keys costs a map lookup each instead of a database read and a hash.
 *
 * Per key id as well as per address: the id is the public half of a key (it shows in listings and
 * audit rows), so guesses at one key's secret from many addresses are still slowed down. The cost
 * is that a flood of wrong secrets for an id also holds that key off until the window ends.
 */
import { httpProblem } from '../../src/problems.js'
import { MAX_BUCKETS, WINDOW_MS } from './rate-limit.js'

interface Window { failures: number, resetAt: number }

export interface AuthFailuresOptions {
  /** Failures per window allowed; the next attempt is refused unchecked. */
  max: number
  windowMs?: number
  maxBuckets?: number
  /** The auth plugin's clock (Date.now unless a test drives it). */
  now: () => number
}

export interface AuthFailures {
  /** The 429 to answer when `address` or `keyId` has used up its failures, else undefined. */
  refusal: (address: string, keyId: string | undefined) => Error | undefined
  /** Counts one failed authentication against both. */
  failed: (address: string, keyId: string | undefined) => void
}

export function createAuthFailures (opts: AuthFailuresOptions): AuthFailures {
  const windowMs = opts.windowMs ?? WINDOW_MS
  const maxBuckets = opts.maxBuckets ?? MAX_BUCKETS
  const now = opts.now
  // Insertion order is window-start order: the first entry is the one that ends first.
  const windows = new Map<string, Window>()

  /** Seconds until `bucket` may try again, when its failures are spent. */
  function spent (bucket: string, t: number): number | undefined {
    const w = windows.get(bucket)
    if (w === undefined || w.resetAt <= t || w.failures < opts.max) return undefined
    return Math.max(1, Math.ceil((w.resetAt - t) / 1000))
  }

  function count (bucket: string, t: number): void {
    let w = windows.get(bucket)
    if (w === undefined || w.resetAt <= t) {
      if (w !== undefined) windows.delete(bucket)
      else if (windows.size >= maxBuckets) windows.delete(windows.keys().next().value as string)
      w = { failures: 0, resetAt: t + windowMs }
      windows.set(bucket, w)
    }
    w.failures++
  }

  return {
    refusal (address, keyId) {
      const t = now()
      const seconds = spent(`ip:${address}`, t) ?? (keyId === undefined ? undefined : spent(`key:${keyId}`, t))
      if (seconds === undefined) return undefined
      return httpProblem(429, 'TOO_MANY_AUTH_FAILURES',
        `Too many failed authentications from this address or for this key (limit ${opts.max} in ${windowMs / 1000} s, DEPGATE_AUTH_FAILURE_LIMIT). Retry after ${seconds} s with a valid key.`,
        { retryAfterSeconds: seconds })
    },
    failed (address, keyId) {
      const t = now()
      count(`ip:${address}`, t)
      if (keyId !== undefined) count(`key:${keyId}`, t)
    }
  }
}
