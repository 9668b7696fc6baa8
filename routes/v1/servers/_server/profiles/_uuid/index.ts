import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { profileParamsSchema, profileSchema } from '../../../../../../src/api/profiles.js'
import { defineRoute, errorResponses, withNotFoundProblem } from '../../../../../../src/api/route-kit.js'

const DESCRIPTION = `A profile as Apple stores it. The UUID is 32 hexadecimal digits as Apple returns them (a dashed UUID and lower case are accepted).

An unknown UUID answers 404 \`PROFILE_NOT_FOUND\` (Apple itself answers 400 \`NOT_FOUND\`).`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getProfile',
    tag: 'profiles',
    summary: 'Get a profile',
    description: DESCRIPTION,
    schema: {
      params: profileParamsSchema,
      response: { 200: profileSchema, ...errorResponses() }
    }
  }), async (request) => {
    const { server, uuid } = request.params
    const { client } = fastify.depServers.get(server)
    // The client reports Apple's 400 NOT_FOUND and a 404 alike as NOT_FOUND.
    return await withNotFoundProblem(client.getProfile(uuid), 'NOT_FOUND', 'PROFILE_NOT_FOUND', `Apple knows no profile ${uuid} for this MDM server ("${server}"). Check the UUID returned when the profile was defined.`)
  })
}

export default plugin
