import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { getRules, putRules, rulesAnswerSchema, rulesBodySchema } from '../../../../../src/api/assignment-rules.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const RULES = 'A rule is `{ name, match, profile, replace }`: `profile` names an enrollment profile of the server (PUT …/enrollment-profiles/{name}); `match` holds any of `device_family`, `os`, `model` (glob), `serial_prefix`, `serials`, `description` (glob), `color`, `device_assigned_by`, compared case-insensitively, and every field given must match (an empty or absent `match` matches every device). The first matching rule wins. A rule assigns a device with no profile or on an older UUID of its profile; a device on another profile is left alone unless the rule says `"replace": true`.'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getAssignmentRules',
    sends: ['ETag'],
    tag: 'enrollment',
    summary: 'Get the assignment rules',
    description: `The server's ordered assignment rules and their ETag (also in the ETag header), to send back in If-Match when replacing them.\n\n${RULES}`,
    schema: {
      params: serverParamsSchema,
      response: { 200: rulesAnswerSchema, ...problemResponses(404) }
    }
  }), async (request, reply) => await getRules(fastify, reply, request.params.server))

  fastify.put('/', defineRoute({
    scope: 'write',
    audit: 'assignment_rules.put',
    operationId: 'putAssignmentRules',
    sends: ['ETag'],
    tag: 'enrollment',
    summary: 'Replace the assignment rules',
    description: `Replaces the whole ordered list at once. Once the server has rules, send \`If-Match\` with the ETag you read: another edit since answers 412 \`RULES_CHANGED\`, no If-Match answers 428 \`IF_MATCH_REQUIRED\` (both with the current ETag in the ETag header). While the list is empty If-Match may be left out; \`If-Match: *\` replaces whatever the list holds. A rule naming a profile that does not exist answers 400 \`UNKNOWN_ENROLLMENT_PROFILE\`, two rules with one name 400 \`DUPLICATE_RULE_NAME\`, an unknown field 400 \`UNKNOWN_FIELD\`; each names the rule by its index (\`body.rules.<index>…\`).\n\n${RULES}`,
    schema: {
      params: serverParamsSchema,
      body: rulesBodySchema,
      response: { 200: rulesAnswerSchema, ...problemResponses(404, 412, 413, 415, 428) }
    }
  }), async (request, reply) => await putRules(fastify, request, reply, request.params.server, request.body.rules))
}

export default plugin
