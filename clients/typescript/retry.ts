/**
 * The client's retry: depgate answers 429 (rate limit, too many streams, Apple throttling) and 503
 * (mirror not ready or busy, Apple unavailable) with `Retry-After` when trying again later can
 * succeed, and it refuses such a request before doing any of its work, so sending it again is safe
 * even for a write. Without `Retry-After` the answer is final: depgate says when, we never guess.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 turns retrying off). */
  attempts?: number
  /** A longer `Retry-After` than this is not waited for: the 429/503 is the answer (default 60 s). */
  maxDelayMs?: number
  /** How to wait (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>
  /** The clock an HTTP-date `Retry-After` is measured against. */
  now?: () => number
}

export type Fetch = (request: Request) => Promise<Response>

const RETRY_STATUSES = new Set([429, 503])

const realSleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * `Retry-After` in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable. A date in the past is 0.
 */
export function retryAfterMs (value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP-date names its day or month; without a letter Date.parse would take "-5" for a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** A fetch that sends a request again after a 429/503's `Retry-After`, within the options' bounds. */
export function retryingFetch (fetch: Fetch, opts: RetryOptions = {}): Fetch {
  const attempts = Math.max(1, opts.attempts ?? 3)
  const maxDelayMs = opts.maxDelayMs ?? 60_000
  const sleep = opts.sleep ?? realSleep
  const now = opts.now ?? Date.now
  return async (request) => {
    for (let attempt = 1; attempt < attempts; attempt++) {
      // A request's body can be read once: every attempt but the last sends a copy.
      const response = await fetch(request.clone())
      if (!RETRY_STATUSES.has(response.status)) return response
      const delay = retryAfterMs(response.headers.get('retry-after'), now())
      if (delay === undefined || delay > maxDelayMs) return response
      // The refused answer is dropped unread: cancelling its body frees the connection.
      await response.body?.cancel()
      await sleep(delay)
    }
    return await fetch(request)
  }
}
