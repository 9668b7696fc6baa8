import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { previewBodySchema, previewRules, previewSchema } from '../../../../../../src/api/assignment-preview.js'
import { defineRoute, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../../src/problems.js'
import { PROBLEM_GROUPS } from '../../../../../../src/problem-codes.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'read',
    problems: ['SERVER_NOT_FOUND', 'DUPLICATE_RULE_NAME', 'UNKNOWN_ENROLLMENT_PROFILE', ...PROBLEM_GROUPS.mirror],
    // Nothing changes: a read that carries its rules in a body.
    audit: false,
    operationId: 'previewAssignmentRules',
    tag: 'enrollment',
    summary: 'Preview the assignment rules',
    description: 'What the assignment rules would do now, from depgate\'s device mirror: per rule, the devices it is the first match of, how many of them it would assign (and the first 20 serials), how many are already on its profile and how many it leaves alone on another profile; and the devices no rule matches. Nothing is sent to Apple. Without a body the stored rules are previewed; with `{ "rules": [...] }` those rules are, checked as PUT …/assignment-rules checks them. Needs the mirror: 409 `INVENTORY_DISABLED` without one, 503 `INVENTORY_NOT_READY` until its first fetch completed.',
    schema: {
      params: serverParamsSchema,
      body: previewBodySchema,
      response: { 200: previewSchema, ...problemResponses(404, 409, 413, 415) }
    }
  }), async (request) => await previewRules(fastify, request.params.server, request.body?.rules))
}

export default plugin
