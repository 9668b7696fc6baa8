/**
 * Retry policy: exponential backoff with full jitter, and `Retry-After` parsing (delta-seconds or
 * HTTP-date, RFC 9110 §10.2.3). Apple documents neither 429 nor 503 (docs/apple-dep.md §4.1), so these are
 * defensive defaults, all overridable through `DepClientOptions.retry`.
 */

export interface RetryOptions {
  /** Retries after the first attempt (default 3, so at most 4 attempts). */
  retries?: number
  /** First backoff ceiling in ms (default 200); doubles per attempt. */
  baseDelayMs?: number
  /** Ceiling of any backoff delay in ms (default 5000). */
  maxDelayMs?: number
  /** Longest `Retry-After` we are willing to sleep (default 30 000 ms); beyond it we fail fast with DepThrottledError. */
  maxRetryAfterMs?: number
  /** Injectable for tests: how to wait. Defaults to a timer that an abort signal cancels. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Injectable for tests: a number in [0, 1) for the jitter. Defaults to Math.random. */
  random?: () => number
}

export type RetryPolicy = Required<RetryOptions>

export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function retryPolicy (opts: RetryOptions = {}): RetryPolicy {
  return {
    retries: opts.retries ?? 3,
    baseDelayMs: opts.baseDelayMs ?? 200,
    maxDelayMs: opts.maxDelayMs ?? 5000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 30_000,
    sleep: opts.sleep ?? sleep,
    random: opts.random ?? Math.random
  }
}

/** Full jitter: a uniform delay in [0, min(max, base · 2^attempt)). `attempt` counts from 0. */
export function backoffDelay (attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt)
  return Math.floor(policy.random() * ceiling)
}

/** Seconds to wait according to a `Retry-After` value, or undefined when absent or unparsable. */
export function parseRetryAfter (value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  // An HTTP-date always names a weekday or month; V8's Date.parse would also accept things like "1.5".
  const date = /[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  if (!Number.isFinite(date)) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}
