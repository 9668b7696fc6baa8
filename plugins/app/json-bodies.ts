/**
 * JSON bodies: an empty body sent with `Content-Type: application/json` (what `curl -X POST … -H
 * 'content-type: application/json'` sends) is read as no body, not as malformed JSON. Routes whose
 * body is optional (POST …/assignment-rules/apply, …/preview) then answer as without one; a route
 * that needs a body still refuses it, by its validation (VALIDATION_FAILED) like a bodiless request.
 * A route without a body schema ignores the body. Anything else goes to Fastify's own parser, with
 * its prototype-poisoning checks.
 *
 * Any other media type (Fastify's own text/plain parser included: it handed a JSON route a string,
 * which the route then refused as 400 VALIDATION_FAILED) is 415 UNSUPPORTED_MEDIA_TYPE on a route
 * that reads a body, answered before the body is read; a route that reads none ignores whatever
 * body it is sent, so it never answers 415 (which the OpenAPI document does not list for it). A
 * route with its own parsers (the token upload, the dashboard's forms, the Apple pass-through)
 * keeps them: a route's own parser wins over this catch-all.
 */
import { errorCodes } from 'fastify'
import fp from 'fastify-plugin'

export function createJsonBodiesPlugin () {
  return fp(async function jsonBodies (fastify) {
    const parse = fastify.getDefaultJsonParser('error', 'error')
    fastify.removeContentTypeParser(['application/json', 'text/plain'])
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string
      // A route that reads no body ignores one, well-formed or not (it documents no MALFORMED_JSON).
      if (text.trim() === '' || request.routeOptions.schema?.body === undefined) {
        done(null, undefined)
        return
      }
      parse(request, text, done)
    })
    fastify.addContentTypeParser('*', (request, _payload, done) => {
      if (request.routeOptions.schema?.body !== undefined) {
        // Fastify's own error for it, which src/api/error-mapping.ts answers as the 415 problem.
        done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined)
        return
      }
      // Not read: node discards the rest of an unread body once the answer is sent.
      done(null, undefined)
    })
  }, { name: 'depgate-json-bodies' })
}
