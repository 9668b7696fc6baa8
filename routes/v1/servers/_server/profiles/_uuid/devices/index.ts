import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../../../src/api/apple-guards.js'
import { assignBodySchema, assignResultSchema, profileParamsSchema } from '../../../../../../../src/api/profiles.js'
import { defineRoute, errorResponses } from '../../../../../../../src/api/route-kit.js'

const DESCRIPTION = `Assigns the profile to up to 10000 serials; depgate sends them to Apple in chunks of at most 1000 (Apple's advice) and merges the answers.

Answers Apple's status per serial — \`SUCCESS\`, \`NOT_ACCESSIBLE\` (not assigned to this MDM server), \`FAILED\` (retry later), \`THROTTLED\` — and a \`summary\` with the count per status. When some serials are \`THROTTLED\`, \`retry_after_seconds\` says how long to wait before assigning those again (the longest Apple asked for across chunks).

An unknown profile answers 404 \`PROFILE_NOT_FOUND\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.put('/', defineRoute({
    scope: 'write',
    audit: 'profile.assign',
    operationId: 'assignProfile',
    tag: 'profiles',
    summary: 'Assign a profile to devices',
    description: DESCRIPTION,
    schema: {
      params: profileParamsSchema,
      body: assignBodySchema,
      response: { 200: assignResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.assign.run(fastify, request, request.params.server, { uuid: request.params.uuid, ...request.body }))
}

export default plugin
