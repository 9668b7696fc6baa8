/**
 * `Accept` is negotiated once for every route: a route says what it can produce
 * (`config.produces`, JSON when it says nothing), and a request whose Accept allows none of it is
 * answered 406 NOT_ACCEPTABLE naming what the route can produce, instead of JSON the caller said it
 * cannot read. No Accept and `*` / `*` keep the route's first type; q-values and the precedence of a
 * more specific range over a wildcard are RFC 9110's, as `negotiator` (the parser Express and
 * Fastify's own plugins use) applies them.
 *
 * A route whose query has `format` (the device lists) lets the caller name the type there instead:
 * `?format=csv` wins over Accept, for a spreadsheet link or a client that cannot set headers.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import Negotiator from 'negotiator'
import { httpProblem } from '../problems.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Media types the route answers with, preferred first (default: application/json); `*` / `*`
     * for a route that forwards whatever it is given. With `formats`, the `format` query names one.
     */
    produces?: readonly string[]
    /** `format` query value → media type, for a route whose query declares `format`. */
    formats?: Readonly<Record<string, string>>
  }
  interface FastifyRequest {
    /** The media type the answer is to have, as negotiated (set on every route that produces something). */
    responseType?: string
  }
}

export const JSON_MEDIA_TYPE = 'application/json'
const ANYTHING = '*/*'

/** The type to answer with, of `produces` (preferred first), or undefined when Accept allows none. */
export function negotiate (accept: string | undefined, produces: readonly string[]): string | undefined {
  // A header of only whitespace is no preference, as a missing one.
  if (accept === undefined || accept.trim() === '') return produces[0]
  return new Negotiator({ headers: { accept } }).mediaType([...produces])
}

/** preHandler (after validation, so a `format` query value is known good): sets request.responseType or refuses with 406. */
export function negotiationHook (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const { config, schema } = request.routeOptions
  const produces = config.produces ?? [JSON_MEDIA_TYPE]
  // Not depgate's API: the not-found answer, and routes hidden from the document (Swagger UI's pages and files).
  if (request.is404 || schema === undefined || (schema as { hide?: boolean }).hide === true || produces.includes(ANYTHING)) return done()
  const format = (request.query as { format?: unknown } | undefined)?.format
  const named = typeof format === 'string' ? config.formats?.[format] : undefined
  const chosen = named ?? negotiate(request.headers.accept, produces)
  if (chosen === undefined) {
    return done(httpProblem(406, 'NOT_ACCEPTABLE', `This route answers ${produces.join(', ')} only, and the request's Accept header allows none of them: accept one of them, or */*.`))
  }
  request.responseType = chosen
  done()
}
