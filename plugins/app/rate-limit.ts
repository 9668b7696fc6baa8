/**
 * Per-key rate limit (DEPGATE_RATE_LIMIT requests per minute, fixed window from the bucket's first
 * request). Its onRequest hook is registered after the auth plugin's, so it runs once the key is
 * known and the bucket is the key id; public routes and requests without a key fall back to the
 * client IP. A route opts out with `config: { rateLimit: false }` (health, readiness, metrics);
 * requests that matched no route are not counted.
 *
 * In-house rather than @fastify/rate-limit: this runs on every request, and the plugin's async
 * hook, promise-wrapped store call and LRU cost more than the rest of the limiter. A 429 problem
 * with Retry-After answers once the window's budget is spent.
 *
 * Every limited answer says where the caller stands with the IETF fields of
 * draft-ietf-httpapi-ratelimit-headers (RFC 9651 structured fields), and with no other set:
 * `RateLimit-Policy: "default";q=600;w=60` (the quota, per window in seconds) and
 * `RateLimit: "default";r=599;t=42` (what is left, and the seconds until the window ends). Chosen
 * over the vendor `X-RateLimit-Limit/-Remaining/-Reset` triple, whose Reset is seconds here but an
 * epoch time elsewhere: the draft's fields say which window they mean and how to parse them, and
 * are what new clients and gateways learn. One set only, so clients never meet two that disagree.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { httpProblem } from '../../src/problems.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: this route is never rate limited (health, readiness, metrics). */
    rateLimit?: false
  }
}

export const WINDOW_MS = 60_000
/** Buckets kept at most; keys are bounded by the key set, but client IPs are not. */
export const MAX_BUCKETS = 10_000

interface Bucket { count: number, resetAt: number }

export interface Hit {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the window ends (at least 1 while it runs). */
  resetSeconds: number
}

export interface FixedWindowOptions {
  max: number
  windowMs?: number
  maxBuckets?: number
  now?: () => number
}

/** One counter per bucket, reset when its window ends; the oldest window is dropped when full. */
export function createFixedWindow (opts: FixedWindowOptions): (key: string) => Hit {
  const windowMs = opts.windowMs ?? WINDOW_MS
  const maxBuckets = opts.maxBuckets ?? MAX_BUCKETS
  const now = opts.now ?? Date.now
  // Insertion order is window-start order (a bucket is re-inserted when its window restarts), so
  // the first entry is the one whose window ends first.
  const buckets = new Map<string, Bucket>()
  return function hit (key) {
    const t = now()
    let bucket = buckets.get(key)
    if (bucket === undefined || bucket.resetAt <= t) {
      if (bucket !== undefined) buckets.delete(key)
      else if (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value as string)
      bucket = { count: 0, resetAt: t + windowMs }
      buckets.set(key, bucket)
    }
    bucket.count++
    return {
      allowed: bucket.count <= opts.max,
      limit: opts.max,
      remaining: Math.max(0, opts.max - bucket.count),
      resetSeconds: Math.max(1, Math.ceil((bucket.resetAt - t) / 1000))
    }
  }
}

/** The policy's name in both fields: depgate has one policy (per key, or per address without one). */
export const POLICY_NAME = 'default'

/** `RateLimit-Policy`: the quota `q` per window of `w` seconds. */
export function rateLimitPolicy (max: number, windowMs: number): string {
  return `"${POLICY_NAME}";q=${max};w=${Math.ceil(windowMs / 1000)}`
}

/** `RateLimit`: the requests `r` left in this window, which ends in `t` seconds. */
export function rateLimitState (h: Hit): string {
  return `"${POLICY_NAME}";r=${h.remaining};t=${h.resetSeconds}`
}

export function createRateLimitPlugin (opts: Omit<FixedWindowOptions, 'max'> = {}) {
  return fp(async function rateLimitPlugin (fastify) {
    const hit = createFixedWindow({ ...opts, max: fastify.config.rateLimit })
    const policy = rateLimitPolicy(fastify.config.rateLimit, opts.windowMs ?? WINDOW_MS)
    // Callback style: an async hook costs a promise and a microtask on every request.
    fastify.addHook('onRequest', function rateLimit (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      if (request.is404 || request.routeOptions.config.rateLimit === false) {
        done()
        return
      }
      const h = hit(request.auth === null ? `ip:${request.ip}` : `key:${request.auth.keyId}`)
      reply.header('ratelimit-policy', policy)
      reply.header('ratelimit', rateLimitState(h))
      if (h.allowed) {
        done()
        return
      }
      done(httpProblem(429, 'RATE_LIMITED', `Too many requests for this API key (limit ${h.limit} per minute). Retry after ${h.resetSeconds} s.`, { retryAfterSeconds: h.resetSeconds }))
    })
  }, { name: 'depgate-rate-limit', dependencies: ['depgate-config', 'depgate-auth'] })
}
