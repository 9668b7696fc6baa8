import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../../src/api/apple-guards.js'
import { removeBodySchema, removeResultSchema } from '../../../../../../src/api/profiles.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'

const DESCRIPTION = `Removes the enrollment profile assignment from up to 10000 serials (sent to Apple in chunks). Answers Apple's status per serial (\`SUCCESS\`, \`NOT_ACCESSIBLE\`, \`FAILED\`) and a \`summary\` with the count per status.

A device that already received its profile keeps it until it is erased and activated again. \`profile_uuid\` is optional and passed on, although Apple appears to ignore it.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.delete('/', defineRoute({
    scope: 'write',
    audit: 'profile.remove',
    operationId: 'removeProfile',
    tag: 'profiles',
    summary: 'Remove profiles from devices',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: removeBodySchema,
      response: { 200: removeResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.remove.run(fastify, request, request.params.server, request.body))
}

export default plugin
