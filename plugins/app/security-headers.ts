/**
 * Two headers on every answer: `X-Content-Type-Options: nosniff`, so a browser never runs a JSON
 * or problem body as something else, and `Cache-Control: no-store`, because answers carry device
 * inventories and, once, a new API key's secret, which no shared or browser cache may keep. One
 * callback hook and one `reply.headers` call with a constant object: this runs on every request.
 * A route may still set its own Cache-Control afterwards (Swagger UI's static files do).
 */
import fp from 'fastify-plugin'
import { SECURITY_HEADERS } from '../../src/security-headers.js'

export { SECURITY_HEADERS }

export function createSecurityHeadersPlugin () {
  return fp(async function securityHeaders (fastify) {
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS)
      done()
    })
  }, { name: 'depgate-security-headers' })
}
