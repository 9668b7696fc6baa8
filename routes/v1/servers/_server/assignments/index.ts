import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { assignmentPageSchema, assignmentQuerySchema, listAssignments } from '../../../../../src/api/assignments.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['SERVER_NOT_FOUND'],
    operationId: 'listAssignments',
    tag: 'enrollment',
    summary: 'List the assignment engine\'s devices',
    description: 'Every device the assignment rules queued for a profile, by serial, with its state, the rule and profile, how often Apple answered for it, its last result and error, and when it is sent next. The engine sends queued devices after each sync; THROTTLED ones again after Apple\'s `retry_after_seconds` (else an hour, doubling up to a day), FAILED ones after 1 h, 4 h, 24 h and then daily until DEPGATE_ASSIGN_GIVE_UP_DAYS after the first failure (`gave_up`); NOT_ACCESSIBLE ones are not retried. Filter by `status` or `serial`; page with `limit` and `page_token`.',
    schema: {
      params: serverParamsSchema,
      querystring: assignmentQuerySchema,
      response: { 200: assignmentPageSchema, ...problemResponses(404) }
    }
  }), async (request) => await listAssignments(fastify, request.params.server, request.query))
}

export default plugin
