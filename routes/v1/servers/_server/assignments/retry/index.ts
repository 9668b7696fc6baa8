import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { assignmentRetrySchema, retryAssignments } from '../../../../../../src/api/assignments.js'
import { defineRoute, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    problems: ['SERVER_NOT_FOUND'],
    audit: 'assignments.retry',
    operationId: 'retryAssignments',
    tag: 'enrollment',
    summary: 'Retry failed assignments now',
    description: 'Makes every failed, throttled and given-up device of the assignment engine due now (a given-up one starts its retry schedule again) and answers how many. The replica that syncs the server sends them at once, or at its next look when another replica leads.',
    schema: {
      params: serverParamsSchema,
      response: { 200: assignmentRetrySchema, ...problemResponses(404) }
    }
  }), async (request) => await retryAssignments(fastify, request.params.server))
}

export default plugin
