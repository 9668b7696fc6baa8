import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { accountSchema } from '../../../../../src/api/account.js'
import { docs, errorResponses, fastSerializerCompiler, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = `Apple's account detail for this MDM server: its name and UUID, the organisation, the Apple Account that generated the token, and Apple's list of endpoints with their page limits.

A quick end-to-end check that the server token works: terms not accepted in Apple Business/School Manager answer 403 \`T_C_NOT_SIGNED\`, a token without access 403 \`ACCESS_DENIED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'read' },
    // Apple's answer was checked by the DEP client: no second zod pass to write it out.
    serializerCompiler: fastSerializerCompiler,
    schema: {
      ...docs('account', 'read', 'Apple account detail', DESCRIPTION),
      params: serverParamsSchema,
      response: { 200: accountSchema, ...errorResponses() }
    }
  }, async (request) => {
    const { client } = fastify.depServers.get(request.params.server)
    return await client.getAccount()
  })
}

export default plugin
