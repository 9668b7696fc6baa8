/**
 * A request refused before its body was read (no key, a wrong key, too many failures, a body over
 * the limit, …) is answered and its connection closed: keeping it open would let the client
 * trickle the declared body for as long as node's request timeout, holding a connection and a
 * parser per attempt. `Connection: close` makes node end the socket once the answer is out,
 * instead of reading (and discarding) the rest of the body to reuse the connection.
 */
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'

/** True while the request declared a body that has not all arrived (node marks `complete` once it has). */
export function bodyToCome (request: FastifyRequest): boolean {
  const { headers } = request.raw
  const declared = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0
  return declared && !request.raw.complete
}

export function createRefusedBodiesPlugin () {
  return fp(async function refusedBodies (fastify) {
    // Callback style: it runs on every answer.
    fastify.addHook('onSend', function closeRefused (request, reply, payload, done) {
      if (reply.statusCode >= 400 && bodyToCome(request)) reply.header('connection', 'close')
      done(null, payload)
    })
  }, { name: 'depgate-refused-bodies' })
}
