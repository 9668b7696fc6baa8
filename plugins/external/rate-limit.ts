/**
 * Per-key rate limit (DEPGATE_RATE_LIMIT requests per minute). Runs after the auth hook (route-level
 * hooks follow application-level ones), so the bucket is the key id; public routes and requests
 * without a key fall back to the client IP.
 */
import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { httpProblem } from '../../src/problems.js'

export function createRateLimitPlugin () {
  return fp(async function rateLimitPlugin (fastify) {
    await fastify.register(rateLimit, {
      global: true,
      max: fastify.config.rateLimit,
      timeWindow: 60_000,
      keyGenerator: (request) => request.auth === null ? `ip:${request.ip}` : `key:${request.auth.keyId}`,
      errorResponseBuilder: (_request, ctx) => {
        const seconds = Math.max(1, Math.ceil(ctx.ttl / 1000))
        return httpProblem(429, 'RATE_LIMITED', `Too many requests for this API key (limit ${ctx.max} per minute). Retry after ${seconds} s.`, { retryAfterSeconds: seconds })
      }
    })
  }, { name: 'depgate-rate-limit', dependencies: ['depgate-config', 'depgate-auth'] })
}
