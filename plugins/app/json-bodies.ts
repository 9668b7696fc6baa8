/**
 * JSON bodies: an empty body sent with `Content-Type: application/json` (what `curl -X POST … -H
 * 'content-type: application/json'` sends) is read as no body, not as malformed JSON. Routes whose
 * body is optional (POST …/assignment-rules/apply, …/preview) then answer as without one; a route
 * that needs a body still refuses it, by its validation (VALIDATION_FAILED) like a bodiless request.
 * Anything else goes to Fastify's own parser, with its prototype-poisoning checks.
 */
import fp from 'fastify-plugin'

export function createJsonBodiesPlugin () {
  return fp(async function jsonBodies (fastify) {
    const parse = fastify.getDefaultJsonParser('error', 'error')
    fastify.removeContentTypeParser('application/json')
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string
      if (text.trim() === '') {
        done(null, undefined)
        return
      }
      parse(request, text, done)
    })
  }, { name: 'depgate-json-bodies' })
}
