/**
 * One error handler and one not-found handler for the whole app: every failure leaves as
 * `application/problem+json`. Registered before the routes so each route context copies it.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HttpProblem, httpProblem, PROBLEM_CONTENT_TYPE, type Problem, toProblem } from '../../src/problems.js'
import { mapError, mappingContext } from '../../src/api/error-mapping.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The problem body for any error, for a route that must report it itself (e.g. mid-stream).
     * Logs like the error handler unless `log: false` (a stream that fails is logged by Fastify).
     */
    problemFor (error: unknown, request: FastifyRequest, opts?: { log?: boolean }): Problem
  }
  interface FastifyRequest {
    /** The problem code this request ended with, for metrics and the audit log. */
    problemCode?: string
  }
}

/** The log message of a 5xx that is not depgate's bug, when it is not Apple's failure. */
const WARNINGS: Record<string, string> = {
  DATABASE_UNAVAILABLE: 'database unavailable',
  // The store closed under a request, or a request arrived once closing began (src/server.ts).
  SHUTTING_DOWN: 'refused: shutting down',
  MIRROR_BUSY: 'refused: too many sorted whole-list reads at once'
}

export function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  request.problemCode = problem.code
  const body = toProblem(problem, request.url, request.id)
  return reply.code(problem.statusCode).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(body)
}

function logProblem (request: FastifyRequest, problem: HttpProblem, internal: boolean, error: unknown): void {
  if (internal) {
    request.log.error({ err: error }, 'unhandled error')
  } else if (problem.statusCode >= 500) {
    request.log.warn({ code: problem.code, err: error }, WARNINGS[problem.code] ?? 'upstream failure')
  } else {
    request.log.info({ code: problem.code }, 'request refused')
  }
}

export function createErrorsPlugin () {
  return fp(async function errors (fastify) {
    function mapAndLog (error: unknown, request: FastifyRequest, log = true): HttpProblem {
      const { problem, internal } = mapError(error, mappingContext(request))
      if (log) logProblem(request, problem, internal, error)
      request.problemCode = problem.code
      return problem
    }

    fastify.decorate('problemFor', function (error: unknown, request: FastifyRequest, opts: { log?: boolean } = {}) {
      return toProblem(mapAndLog(error, request, opts.log), request.url, request.id)
    })

    fastify.setErrorHandler(function (error, request, reply) {
      return sendProblem(request, reply, mapAndLog(error, request))
    })

    fastify.setNotFoundHandler(function (request, reply) {
      return sendProblem(request, reply, httpProblem(404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}. See /docs for the API.`))
    })
  }, { name: 'depgate-errors' })
}
